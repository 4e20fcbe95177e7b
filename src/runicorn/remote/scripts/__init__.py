"""Small stand-alone Python programs run on the remote host (sent over stdin to ``python -``).

They use the standard library only and run on any Python 3 the server has, with or without
Runicorn installed: that is why they are scripts and not imports of this package.
"""

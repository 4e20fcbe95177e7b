"""Loggers and callbacks for training frameworks: Lightning, Hugging Face Transformers, Keras.

    from runicorn.integrations.lightning import RunicornLogger
    from runicorn.integrations.transformers import RunicornCallback
    from runicorn.integrations.keras import RunicornCallback

Each records on the process of rank 0 only (other ranks get a run that records nothing), and
finishes the run only if it started it.
"""

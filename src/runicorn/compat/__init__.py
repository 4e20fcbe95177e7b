"""Drop-in stand-ins for other trackers' logging APIs, recording into Runicorn.

``from runicorn.compat.tensorboard import SummaryWriter``, ``import runicorn.compat.wandb as
wandb``, ``from runicorn.compat.torchvision import MetricLogger``: a script written for those
keeps its calls and gets a Runicorn run.
"""

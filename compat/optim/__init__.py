"""Torch7's ``optim`` package over PyTorch (Lua: ``require 'optim'``).

Every algorithm of torch/optim with Lua's calling convention ``x, fx = optim.X(opfunc, x, config,
state)`` (x updated in place, fx the list of function values, state holding Torch7's field names):
``sgd``, ``asgd``, ``nag``, ``rprop``, ``adagrad``, ``adadelta``, ``adam``, ``adamax``, ``rmsprop``,
``cg``, ``lbfgs`` (with ``lineSearch = optim.lswolfe``); the helpers ``lswolfe``, ``polyinterp``,
``checkgrad``; ``Logger`` (Torch7's log file, ``plot()`` to a PNG) and ``ConfusionMatrix``.
"""
from compat.optim.adaptive import adadelta, adagrad, adam, adamax, rmsprop
from compat.optim.cg import cg
from compat.optim.checkgrad import checkgrad
from compat.optim.confusion import ConfusionMatrix
from compat.optim.lbfgs import lbfgs
from compat.optim.linesearch import lswolfe, polyinterp
from compat.optim.logger import Logger
from compat.optim.sgd import sgd
from compat.optim.stochastic import asgd, nag, rprop

__all__ = ["ConfusionMatrix", "Logger", "adadelta", "adagrad", "adam", "adamax", "asgd", "cg",
           "checkgrad", "lbfgs", "lswolfe", "nag", "polyinterp", "rmsprop", "rprop", "sgd"]

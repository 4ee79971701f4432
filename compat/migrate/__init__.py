"""``torchad-migrate``: a Lua Torch7 -> Python translator over :mod:`compat` (needs no torch to run).

    from compat.migrate import translate
    result = translate(open('train.lua').read(), 'train.lua')
    result.code    # Python source: '# lua N' on each line, compat.lua helpers where Lua's meaning
                   # depends on a value only known when running
    result.todos   # what needs a hand (also '# TODO(migrate): ...' at that line)
"""
from compat.migrate.translator import LuaSyntaxError, Translation, TranslatorError, translate  # noqa: F401

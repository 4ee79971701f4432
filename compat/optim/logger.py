"""placeholder"""


class Logger:
    pass

"""The base of errors a user can fix: the command line prints them as ``qsim: message``, without a traceback."""


class QsimError(Exception):
    """An input, file or set-up problem the user can fix; the message says what and where."""

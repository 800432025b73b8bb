"""The optimisers ``calibrate targets`` offers (a module of its own so the command line can list them cheaply)."""

METHODS: tuple[str, ...] = ("least-squares", "nelder-mead")

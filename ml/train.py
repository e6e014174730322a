"""Placeholder: replaced by the ML step (issue 4)."""


def train(target: str | None = None) -> None:
    print("ml: training not implemented yet")

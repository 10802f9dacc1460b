"""Errors the command line reports: a code, one line of cause, a hint, a non-zero exit code."""

from __future__ import annotations

EXIT_CODES = {
    "ERR_BAD_ARGUMENT": 2,
    "ERR_SYMBOL_INVALID": 3,
    "ERR_NO_DATA": 4,
    "ERR_RATE_LIMIT": 5,
    "ERR_EXCHANGE_DOWN": 6,
    "ERR_INTERNAL": 70,
}


class CliError(Exception):
    def __init__(self, code: str, cause: str, hint: str):
        if code not in EXIT_CODES:
            raise ValueError(f"unknown error code {code}")
        super().__init__(cause)
        self.code, self.cause, self.hint = code, cause, hint

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.code]

    def render(self) -> str:
        return f"{self.code}: {self.cause}\n  hint: {self.hint}"

    def as_json(self) -> dict:
        return {"error": {"code": self.code, "cause": self.cause, "hint": self.hint}}

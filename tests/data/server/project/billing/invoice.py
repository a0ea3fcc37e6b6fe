"""Invoices and money formatting."""

from dataclasses import dataclass, field


@dataclass
class Invoice:
    customer: str
    lines: list[tuple[str, int]] = field(default_factory=list)

    def add_line(self, description: str, cents: int) -> None:
        self.lines.append((description, cents))

    def total_cents(self) -> int:
        return sum(cents for _, cents in self.lines)


def format_money(cents: int, currency: str = "EUR") -> str:
    """Render an amount of cents with two decimals and the currency code."""
    return f"{cents / 100:.2f} {currency}"

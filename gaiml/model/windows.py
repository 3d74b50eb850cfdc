"""Long text -> overlapping windows and back: each character takes the prediction of the
window where it sits most centrally, so no character is judged at a window's edge."""

from __future__ import annotations


def window_starts(length: int, size: int, stride: int) -> list[int]:
    """Starts of windows of ``size`` characters every ``stride``, the last one flush with the end."""
    if length <= size:
        return [0]
    starts = list(range(0, length - size, stride))
    starts.append(length - size)
    return sorted(set(starts))


def owner_windows(length: int, size: int, starts: list[int]) -> list[int]:
    """For each character, the index of the window whose centre is nearest to it."""
    owners = []
    w = 0
    for i in range(length):
        while w + 1 < len(starts) and starts[w + 1] <= i and (
                abs(i - (starts[w + 1] + size / 2)) < abs(i - (starts[w] + size / 2)) or i >= starts[w] + size):
            w += 1
        owners.append(w)
    return owners


def windows_to_read(length: int, size: int, stride: int,
                    regions: list[tuple[int, int]]) -> tuple[list[int], list[int], list[int]]:
    """The whole text's window starts and owners, and the indices of the windows that own a
    character of ``regions``: running only those gives each such character its whole-text tags."""
    starts = window_starts(length, size, stride)
    owners = owner_windows(length, size, starts)
    needed = sorted({w for a, b in regions if a < b for w in range(owners[a], owners[b - 1] + 1)})
    return starts, owners, needed

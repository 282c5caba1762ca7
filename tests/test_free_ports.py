"""Ports for the processes of a test or bench stack are distinct and free."""

from __future__ import annotations

import socket

from bot.launcher import free_ports


def test_ports_chosen_together_are_distinct_and_can_be_listened_on() -> None:
    for _ in range(50):
        ports = free_ports(7)
        assert len(set(ports)) == 7
    for port in ports:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))
            sock.listen()

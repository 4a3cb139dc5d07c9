"""core.workspaces: a browser's workspace outlives its sessions, bounded in time and number."""

from __future__ import annotations

import pytest

from core.workspaces import Workspaces, new_key, valid_key


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_a_key_is_random_and_only_such_keys_are_looked_up():
    keys = {new_key() for _ in range(1000)}
    assert len(keys) == 1000 and all(valid_key(k) for k in keys)
    for hostile in ("", "a" * 31, "a" * 33, "../" + "a" * 29, "a" * 31 + "\0", None, 5,
                    "<script>" + "a" * 24):
        assert not valid_key(hostile)
    with pytest.raises(ValueError):
        Workspaces().get("x" * 31, dict)


def test_the_same_key_finds_the_same_workspace():
    spaces, key = Workspaces(), new_key()
    first, found = spaces.get(key, dict)
    first["runs"] = [1]
    again, found_again = spaces.get(key, dict)
    assert (found, found_again) == (False, True) and again is first
    assert spaces.get(new_key(), dict)[0] is not first


def test_a_workspace_nobody_comes_back_to_is_dropped_after_the_idle_limit():
    clock = Clock()
    spaces = Workspaces(idle_seconds=7200, clock=clock)
    key, other = new_key(), new_key()
    ws = spaces.get(key, dict)[0]
    clock.now += 3600
    spaces.get(other, dict)
    clock.now += 3599
    assert spaces.dropped() == [] and key in spaces
    clock.now += 2
    assert spaces.dropped() == [ws] and key not in spaces and other in spaces
    assert spaces.dropped() == []  # handed back once
    assert spaces.get(key, dict) == ({}, False)  # a fresh one


def test_touch_keeps_a_workspace_in_use():
    clock = Clock()
    spaces = Workspaces(idle_seconds=100, clock=clock)
    key = new_key()
    spaces.get(key, dict)
    for _ in range(5):
        clock.now += 60
        spaces.touch(key)
    assert spaces.dropped() == [] and key in spaces


def test_the_number_of_workspaces_is_bounded_and_the_longest_idle_goes_first():
    clock = Clock()
    spaces = Workspaces(capacity=3, clock=clock)
    keys = [new_key() for _ in range(4)]
    made = []
    for k in keys[:3]:
        made.append(spaces.get(k, dict)[0])
        clock.now += 1
    spaces.touch(keys[0])  # the first one is in use again: the second is now the oldest
    spaces.get(keys[3], dict)
    assert len(spaces) == 3 and keys[1] not in spaces and keys[0] in spaces
    assert spaces.dropped() == [made[1]]


def test_a_flood_of_empty_workspaces_cannot_push_out_one_that_holds_work():
    """A script opening tab after tab without cookies makes a workspace each: when room is
    needed, the empty ones go before a student's that holds a run."""
    clock = Clock()
    spaces = Workspaces(capacity=3, clock=clock, holds=lambda ws: bool(ws))
    student = new_key()
    spaces.get(student, dict)[0]["job"] = "run 1"
    for _ in range(50):
        clock.now += 1
        spaces.get(new_key(), dict)
    assert student in spaces and len(spaces) == 3
    assert len(spaces.dropped()) == 48 and student in spaces

"""Projector: a class's board for the big screen (/projector?class=CODE, &names=0 to hide the
nicknames): the join code, its link and QR code, the live board and the teacher's spotlight.
No sidebar, no tools, no key (the parts are in ui/projector.py)."""

from ui import projector

projector.show()

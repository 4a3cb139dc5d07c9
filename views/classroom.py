"""Class page: open or join a class, the class's live board, its handwriting, the teacher's
tools (Classroom mode; the parts are in ui/class_join.py, ui/class_page.py and
ui/class_teacher.py)."""

import streamlit as st

from ui import class_join, class_lessons, class_page, class_teacher
from ui.classroom import membership
from ui.i18n import tr

st.title(tr("Class"))
member = membership()
if member is None:
    st.caption(tr("Train together: every run you finish goes on the class's board, next to "
                  "everyone else's."))
    class_join.welcome()
    st.stop()

class_page.header(member)
if member.student is not None:
    class_page.student_panel()
class_page.board()
class_lessons.board_panel()  # the class's predictions and experiment (issue 25)
class_page.class_set()
if member.teacher_key:
    class_teacher.teacher_tools(member)
    class_lessons.teacher_panel(member)

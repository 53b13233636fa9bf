"""corpuscope in the browser: the one page list. Pages are thin; logic lives in ``inspectors``.

Run with ``corpuscope app`` (binds to 127.0.0.1:8501 on the bundled demo corpus).
"""

import sys
from pathlib import Path

import streamlit as st

HERE = Path(__file__).resolve().parent
for path in (str(HERE), str(HERE.parent)):
    if path not in sys.path:
        sys.path.insert(0, path)

import ui  # noqa: E402  (needs the path above)

st.set_page_config(page_title="corpuscope", page_icon=":material/travel_explore:", layout="wide")

PAGES = {
    "Explore": [
        st.Page("pages/overview.py", title="Overview", icon=":material/bar_chart:", default=True),
        st.Page("pages/corpora.py", title="Corpora", icon=":material/library_books:"),
        st.Page("pages/coverage.py", title="Coverage", icon=":material/filter_alt:"),
        st.Page("pages/compare.py", title="Compare", icon=":material/compare_arrows:"),
        st.Page("pages/documents.py", title="Documents", icon=":material/article:"),
        st.Page("pages/exposure.py", title="Training exposure", icon=":material/timeline:"),
    ],
    "Tools": [
        st.Page("pages/saved_queries.py", title="Saved queries", icon=":material/description:"),
        st.Page("pages/sql_console.py", title="SQL console", icon=":material/terminal:"),
        st.Page("pages/evaluations.py", title="Evaluations", icon=":material/analytics:"),
    ],
}

page = st.navigation(PAGES)
st.sidebar.markdown("### :material/travel_explore: corpuscope")
st.sidebar.caption("What open LLMs saw in training — with honest 95% intervals.")
ui.sidebar_corpus_picker()
page.run()

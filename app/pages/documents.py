"""Documents: browse the current corpus's documents with their labels, filtered and paged."""

import streamlit as st

import ui

st.title("Documents")
st.caption("The profiled documents of the current corpus with every label the inspectors gave them. Filter on "
           "labels and on the text (RE2 regex, checked by DuckDB), page through the matches; e-mail addresses "
           "and phone numbers are masked, matches highlighted.")

corpus = ui.current_corpus()
if not ui.profiled_badge(corpus):
    st.info("No shard of this corpus is profiled yet: open the Overview (or run `corpuscope profile`) first.")
    st.stop()

lists = ui.slice_choices()
c1, c2, c3 = st.columns(3)
languages = c1.multiselect("Language", lists["languages"], default=[], accept_new_options=True, key="doc_lang")
topics = c2.multiselect("Topic", lists["topics"], default=[], accept_new_options=True, key="doc_topic")
sources = c3.multiselect("Source", lists["sources"], default=[], accept_new_options=True, key="doc_source")
text = c1.text_input("Text matches (RE2)", "", key="doc_text", placeholder=r"\bĐiều \d+",
                     help="A regular expression on the text; \\b knows Unicode letters. Empty: any text.")
FILTERS = "More filters"  # the box's name, which a bad filter's error quotes
extra = c2.text_input(f"{FILTERS} (COLUMN OP VALUE, ';'-separated)", "", key="doc_where",
                      placeholder="n_bytes>=1000; registered_domain=luatvietnam.vn",
                      help="Any label column; OP is =, != (comma-separated values: any of them), >=, <=, >, <.")
size = c3.selectbox("Per page", [10, 20, 50, 100], index=0, key="doc_limit")

where = [f"language={','.join(languages)}"] if languages else []
where += [f"topic={','.join(topics)}"] if topics else []
where += [f"source={','.join(sources)}"] if sources else []
where += [w.strip() for w in extra.split(";") if w.strip()]
signature = (corpus.source, tuple(where), text.strip(), size)
if st.session_state.get("doc_signature") != signature:  # new filters start at the first page
    st.session_state["doc_signature"] = signature
    st.session_state["doc_offset"] = 0
offset = st.session_state.get("doc_offset", 0)

page = None
with ui.guard("Could not browse the documents"):
    page = ui.browse_documents(corpus, where, text.strip() or None, int(size), int(offset), f'The "{FILTERS}" box')
if page is None:
    st.stop()

last = page.offset + len(page.rows)
st.markdown(f"**{page.matched:,}** matching documents in {page.shards_read} of {page.shards_total} profiled shards"
            + (f" · showing {page.offset + 1}–{last}" if page.rows else ""))
prev_col, next_col, _ = st.columns([1, 1, 6])
if prev_col.button("Previous", icon=":material/chevron_left:", key="doc_prev", disabled=page.offset == 0):
    st.session_state["doc_offset"] = max(0, page.offset - page.limit)
    st.rerun()
if next_col.button("Next", icon=":material/chevron_right:", key="doc_next", disabled=not page.has_more):
    st.session_state["doc_offset"] = page.offset + page.limit
    st.rerun()
if not page.rows:
    st.info("No document matches these filters in the profiled shards.")
for row in page.rows:
    ui.document_card(row)
with st.expander("This page as a table"):
    st.dataframe(ui.pd.DataFrame(page.rows), hide_index=True, width="stretch")

"""Student performance: the headline KPIs and the verdict on the original analysis's claims.

make app        (streamlit run app/Home.py; reads the marts of the active dbt target)
"""

import streamlit as st

from insights import sentences
from insights.dashboard import kpi_tiles, load_snapshot, page_header, plain
from spf.definitions import var

page_header("Student performance")
snapshot = load_snapshot()
st.caption(f"Target {plain(snapshot.target_name)} · {plain(snapshot.location)}")

kpi_tiles(snapshot)
st.text(sentences.kpi_sentence(snapshot.kpis))

st.header("The original analysis's claims, checked")
for _, claim in snapshot.claims.iterrows():
    show = st.success if claim["is_supported"] else st.warning
    evidence = sentences.claim_evidence(claim)
    show(f"**{plain(claim['claim'])}**: {plain(claim['verdict'])}. {plain(evidence)}")
st.caption(
    "Supported = the difference goes the claimed way and its p-value, adjusted by Holm's method "
    f"for the {len(snapshot.claims)} claims, is below {var('findings_alpha')}. Details: Findings."
)

counts = snapshot.reconciliation
st.caption(
    f"{counts['rows_received']:,} rows received, {counts['rows_accepted']:,} accepted, "
    f"{counts['rows_rejected']:,} rejected (see Data quality) · landed {plain(counts['loaded_at'])}"
)

history = snapshot.load_history
if len(history):
    st.caption(
        f"Load {history['load_number'].iloc[-1]} of this warehouse: the KPIs across loads and"
        " the comparison with the previous load are on the Loads page."
    )

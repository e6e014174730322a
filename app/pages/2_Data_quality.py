"""Rows received, accepted and rejected, and why rows were rejected."""

import streamlit as st

from insights.dashboard import load_snapshot, page_header, plain

page_header("Data quality")
snapshot = load_snapshot()
counts = snapshot.reconciliation

left, middle, right = st.columns(3)
left.metric("rows received", f"{counts['rows_received']:,}", border=True)
middle.metric("rows accepted", f"{counts['rows_accepted']:,}", border=True)
right.metric("rows rejected", f"{counts['rows_rejected']:,}", border=True)
if counts["is_reconciled"]:
    st.success("Reconciled: rows received = rows accepted + rows rejected.")
else:
    st.error("NOT reconciled: rows received differ from rows accepted + rows rejected.")
st.caption(f"Raw file {plain(counts['source_file'])}, landed {plain(counts['loaded_at'])}")

st.header("Rejection reasons")
if snapshot.rejection_reasons.empty:
    st.info("No row was rejected.")
else:
    st.dataframe(snapshot.rejection_reasons, hide_index=True)
    st.caption("Every rejected row with its raw values: marts.rpt_rejected_rows.")

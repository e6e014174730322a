{#- Every published load, one row each in load order: its file, its row counts, its KPIs and
    its champion's figures. A view of the history (schema `history`), so that it shows the
    load the runner records after the build. -#}
with

loads as (
    select * from {{ ref('stg_history__loads') }}
)

select * from loads

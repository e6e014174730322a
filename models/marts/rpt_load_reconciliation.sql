{#- Rows received = rows accepted + rows rejected, counted where each set is published. -#}
with

received as (
    select
        count(*) as rows_received,
        max(source_file) as source_file,
        max(loaded_at) as loaded_at
    from {{ ref('stg_spf__students') }}
),

accepted as (
    select count(*) as rows_accepted from {{ ref('dim_students') }}
),

rejected as (
    select count(*) as rows_rejected from {{ ref('rpt_rejected_rows') }}
),

reconciled as (
    select
        received.source_file,
        received.loaded_at,
        received.rows_received,
        accepted.rows_accepted,
        rejected.rows_rejected,
        received.rows_received = accepted.rows_accepted + rejected.rows_rejected
            as is_reconciled
    from received
    cross join accepted
    cross join rejected
)

select * from reconciled

{#- Rows received = rows accepted + rows rejected, counted where each set is published. -#}
with

received as (
    select
        count(*) as rows_received,
        count(case when is_exact_duplicate then 1 end) as rows_duplicated,
        max(source_file) as source_file,
        max(source_file_sha256) as source_file_sha256,
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
        received.source_file_sha256,
        received.loaded_at,
        received.rows_received,
        accepted.rows_accepted,
        rejected.rows_rejected,
        received.rows_duplicated,
        received.rows_received = accepted.rows_accepted + rejected.rows_rejected
            as is_reconciled
    from received
    cross join accepted
    cross join rejected
)

select * from reconciled

{#- Rows received = rows accepted + rows rejected: the raw rows staged, split by validation, and
    the accepted students that reached the intermediate model every mart reads. -#}
with

staged as (
    select
        count(*) as rows_received,
        count(case when not is_accepted then 1 end) as rows_rejected,
        count(case when is_exact_duplicate then 1 end) as rows_duplicated,
        max(source_file) as source_file,
        max(source_file_sha256) as source_file_sha256,
        max(loaded_at) as loaded_at
    from {{ ref('stg_spf__students') }}
),

accepted as (
    select count(*) as rows_accepted from {{ ref('int_students_featured') }}
),

reconciled as (
    select
        staged.source_file,
        staged.source_file_sha256,
        staged.loaded_at,
        staged.rows_received,
        accepted.rows_accepted,
        staged.rows_rejected,
        staged.rows_duplicated,
        staged.rows_received = accepted.rows_accepted + staged.rows_rejected as is_reconciled
    from staged
    cross join accepted
)

select * from reconciled

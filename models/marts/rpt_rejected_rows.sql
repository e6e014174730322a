{#- Every raw row that failed a check, with its raw values and one reason per failed check. -#}
with

students as (
    select * from {{ ref('stg_spf__students') }}
),

rejected as (
    select
        -- ids
        source_row_number,

        -- strings
        rejection_reasons,
        raw_record,
        source_file,

        -- timestamps
        loaded_at
    from students
    where not is_accepted
)

select * from rejected

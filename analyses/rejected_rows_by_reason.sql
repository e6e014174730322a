-- Why were raw rows rejected, and how many rows failed for each reason?
with

rejected as (
    select * from {{ ref('rpt_rejected_rows') }}
),

reasons as (
    select
        rejection_reasons,
        count(*) as row_count,
        min(source_row_number) as first_source_row_number
    from rejected
    group by rejection_reasons
)

select * from reasons
order by row_count desc, rejection_reasons asc

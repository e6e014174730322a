{#- One row per calendar day, 2020 to 2039: the time spine MetricFlow joins to for time
    periods (declared in _semantic__models.yml). The data's only date is the landing time. -#}
with

days as (
    {{ dbt.date_spine(
        'day',
        "cast('2020-01-01' as date)",
        "cast('2040-01-01' as date)",
    ) }}
),

spine as (
    select cast(date_day as date) as date_day
    from days
)

select * from spine

{#- This load's profile: for each column of the export (the factors and the exam score), the
    share of its students in each bin. A category's bins are its values (a blank as a value of
    its own); a number's are cut at its deciles (with ties, fewer bins). The runner records it
    in the load history with the load, and the next load's audit counts its own students into
    these bins (rpt_load_comparison). -#}
with

value_counts as (
    select * from {{ ref('int_column_values_counted') }}
),

numbers as (
    select
        measure,
        number_value,
        student_count
    from value_counts
    where value_kind = 'number'
),

number_totals as (
    select
        measure,
        sum(student_count) as students,
        max(number_value) as max_value
    from numbers
    group by measure
),

-- each number with the students at or below it (a window over a few hundred rows)
cumulative as (
    select
        numbers.measure,
        numbers.number_value,
        number_totals.students,
        number_totals.max_value,
        sum(numbers.student_count) over (
            partition by numbers.measure order by numbers.number_value
            rows between unbounded preceding and current row
        ) as students_up_to
    from numbers
    inner join number_totals on numbers.measure = number_totals.measure
),

deciles as (
    {%- for decile in range(1, 10) %}
    select {{ decile }} as decile{{ ' union all' if not loop.last }}
    {%- endfor %}
),

-- the k-th decile: the smallest number with at least k tenths of the students at or below it
cuts as (
    select
        cumulative.measure,
        deciles.decile,
        min(cumulative.number_value) as edge,
        max(cumulative.max_value) as max_value
    from cumulative
    cross join deciles
    where 10 * cumulative.students_up_to >= deciles.decile * cumulative.students
    group by cumulative.measure, deciles.decile
),

-- the distinct deciles below the largest number: the upper edges of every bin but the last
edges as (
    select distinct
        measure,
        edge
    from cuts
    where edge < max_value
),

numbered_edges as (
    select
        measure,
        lag(edge) over (partition by measure order by edge) as lower_edge,
        edge as upper_edge,
        row_number() over (partition by measure order by edge) as bin_number
    from edges
),

-- the last bin, above the largest edge (every number when the column has a single value)
last_bins as (
    select
        number_totals.measure,
        max(numbered_edges.upper_edge) as lower_edge,
        cast(null as {{ type_double() }}) as upper_edge,
        coalesce(max(numbered_edges.bin_number), 0) + 1 as bin_number
    from number_totals
    left join numbered_edges on number_totals.measure = numbered_edges.measure
    group by number_totals.measure
),

number_bins as (
    select * from numbered_edges
    union all
    select * from last_bins
),

number_bin_counts as (
    select
        number_bins.measure,
        'number' as value_kind,
        number_bins.bin_number,
        cast(null as {{ dbt.type_string() }}) as category,
        false as is_missing,
        number_bins.lower_edge,
        number_bins.upper_edge,
        coalesce(sum(numbers.student_count), 0) as student_count
    from number_bins
    left join numbers
        on
            number_bins.measure = numbers.measure
            and {{ is_in_bin('numbers.number_value', 'number_bins.lower_edge',
                'number_bins.upper_edge') }}
    group by
        number_bins.measure,
        number_bins.bin_number,
        number_bins.lower_edge,
        number_bins.upper_edge
),

category_counts as (
    select
        measure,
        value_kind,
        row_number() over (partition by measure order by is_missing, category) as bin_number,
        category,
        is_missing,
        cast(null as {{ type_double() }}) as lower_edge,
        cast(null as {{ type_double() }}) as upper_edge,
        student_count
    from value_counts
    where value_kind = 'category'
),

bins as (
    select * from number_bin_counts
    union all
    select * from category_counts
),

column_totals as (
    select
        measure,
        sum(student_count) as students
    from bins
    group by measure
),

profile as (
    select
        -- ids
        bins.measure,
        cast(bins.bin_number as {{ dbt.type_int() }}) as bin_number,

        -- strings
        bins.value_kind,
        bins.category,

        -- numerics
        bins.lower_edge,
        bins.upper_edge,
        cast(bins.student_count as {{ dbt.type_bigint() }}) as student_count,
        -- noqa: disable=RF04
        cast(bins.student_count as {{ type_double() }}) / column_totals.students as share,
        -- noqa: enable=RF04

        -- booleans
        bins.is_missing
    from bins
    inner join column_totals on bins.measure = column_totals.measure
)

select * from profile

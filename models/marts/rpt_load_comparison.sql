{#- This load beside the published one (the latest load of the history): the row counts and
    every KPI with their change, and for every column of the export (the factors and the exam
    score) its population stability index (PSI, doc load_audit_psi) and whether it is above
    vars.audit_max_psi (judged when both loads have vars.audit_min_students students). The
    runner refuses a load with a shifted column (pipeline/job.py, audit). The first load has
    nothing to compare with: its previous values and PSIs are null, and nothing is shifted. -#}
{%- set row_labels = {
    'rows_received': 'rows received',
    'rows_accepted': 'rows accepted',
    'rows_rejected': 'rows rejected',
    'rows_duplicated': 'rows duplicated',
} -%}
{%- set measured = [('rows', row_labels), ('kpi', var('kpi_labels'))] -%}
{%- set double = type_double() -%}
{%- set share_floor = var('audit_psi_share_floor') -%}
with

value_counts as (
    select * from {{ ref('int_column_values_counted') }}
),

loads as (
    select * from {{ ref('stg_history__loads') }}
),

profiles as (
    select * from {{ ref('stg_history__load_profiles') }}
),

reconciliation as (
    select * from {{ ref('rpt_load_reconciliation') }}
),

kpis as (
    select * from {{ ref('rpt_kpi_summary') }}
),

latest as (
    select max(load_number) as load_number from loads
),

previous_load as (
    select loads.*
    from loads
    inner join latest on loads.load_number = latest.load_number
),

previous_bins as (
    select profiles.*
    from profiles
    inner join latest on profiles.load_number = latest.load_number
),

-- the counts and KPIs of both loads side by side (one row; the previous columns null when
-- there is no previous load)
compared as (
    select
        {%- for kind, labels in measured %}
        {%- for name in labels %}
        cast(previous_load.{{ name }} as {{ double }}) as previous_{{ name }},
        cast({{ 'reconciliation' if kind == 'rows' else 'kpis' }}.{{ name }} as {{ double }})
            as this_{{ name }},
        {%- endfor %}
        {%- endfor %}
        previous_load.source_file as previous_source_file,
        previous_load.source_file_sha256 as previous_source_file_sha256
    from reconciliation
    cross join kpis
    left join previous_load on 1 = 1
),

this_categories as (
    select
        measure,
        coalesce(category, '') as category_key,
        student_count
    from value_counts
    where value_kind = 'category'
),

previous_categories as (
    select
        measure,
        coalesce(category, '') as category_key,
        share
    from previous_bins
    where value_kind = 'category'
),

-- categories by value: a value only one of the loads has is a bin of its own
category_bins as (
    select
        coalesce(previous_categories.measure, this_categories.measure) as measure,
        coalesce(previous_categories.share, 0) as previous_share,
        coalesce(this_categories.student_count, 0) as this_students
    from previous_categories
    full outer join this_categories
        on
            previous_categories.measure = this_categories.measure
            and previous_categories.category_key = this_categories.category_key
),

-- numbers in the previous load's bins (cut at its deciles)
number_bins as (
    select
        previous_bins.measure,
        previous_bins.share as previous_share,
        coalesce(sum(value_counts.student_count), 0) as this_students
    from previous_bins
    left join value_counts
        on
            previous_bins.measure = value_counts.measure
            and value_counts.value_kind = 'number'
            and {{ is_in_bin('value_counts.number_value', 'previous_bins.lower_edge',
                'previous_bins.upper_edge') }}
    where previous_bins.value_kind = 'number'
    group by previous_bins.measure, previous_bins.bin_number, previous_bins.share
),

bins as (
    select * from category_bins
    union all
    select * from number_bins
),

-- both shares floored (vars.audit_psi_share_floor), so that an empty bin counts
floored as (
    select
        bins.measure,
        greatest(bins.previous_share, {{ share_floor }}) as previous_share,
        greatest(
            cast(bins.this_students as {{ double }}) / kpis.student_count, {{ share_floor }}
        ) as this_share
    from bins
    cross join kpis
),

-- PSI = sum over the bins of (this share - previous share) * ln(this share / previous share),
-- for the columns the previous load profiled
stability as (
    select
        floored.measure,
        sum(
            (floored.this_share - floored.previous_share)
            * ln(floored.this_share / floored.previous_share)
        ) as psi
    from floored
    where floored.measure in (select previous_bins.measure from previous_bins)
    group by floored.measure
),

factors as (
    {%- for column in spf_columns() %}
    {{ 'union all' if not loop.first }}
    select
        '{{ column.name }}' as measure,
        '{{ column.label | replace("'", "''") }}' as label  -- noqa: RF04
    {%- endfor %}
),

comparison as (
    {%- for kind, labels in measured %}
    {%- for name, label in labels.items() %}
    select
        '{{ kind }}' as measure_kind,
        '{{ name }}' as measure,
        '{{ label | replace("'", "''") }}' as label,  -- noqa: RF04
        previous_{{ name }} as previous_value,
        this_{{ name }} as this_value,
        cast(null as {{ double }}) as psi,
        previous_source_file,
        previous_source_file_sha256
    from compared
    union all
    {%- endfor %}
    {%- endfor %}
    select
        'factor' as measure_kind,
        factors.measure,
        factors.label,
        cast(null as {{ double }}) as previous_value,
        cast(null as {{ double }}) as this_value,
        stability.psi,
        compared.previous_source_file,
        compared.previous_source_file_sha256
    from factors
    cross join compared
    left join stability on factors.measure = stability.measure
),

judged as (
    select
        -- ids
        comparison.measure_kind,
        comparison.measure,

        -- strings
        comparison.label,

        -- numerics
        comparison.previous_value,
        comparison.this_value,
        comparison.this_value - comparison.previous_value as change,  -- noqa: RF04
        comparison.psi,
        case
            when comparison.measure_kind = 'factor'
                then cast({{ var('audit_max_psi') }} as {{ double }})
        end as psi_threshold,

        -- booleans: judged when both loads are large enough (vars.audit_min_students)
        coalesce(
            comparison.psi > {{ var('audit_max_psi') }}
            and compared.previous_student_count >= {{ var('audit_min_students') }}
            and compared.this_student_count >= {{ var('audit_min_students') }},
            false
        ) as is_shifted,

        -- the load compared with
        comparison.previous_source_file,
        comparison.previous_source_file_sha256
    from comparison
    cross join compared
)

select * from judged

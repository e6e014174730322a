{#- Each column of the export (vars.spf_columns: the factors and the exam score), its accepted
    students counted by value, in one grouping-sets pass: a category per value (a blank one as
    its own value, is_missing), a number per distinct number. The load's profile
    (rpt_load_profile) and its comparison with the previous load (rpt_load_comparison) read
    these few rows instead of every student. -#}
{%- set categories = spf_columns() | selectattr('kind', 'equalto', 'category') | list -%}
{%- set numbers = spf_columns() | rejectattr('kind', 'equalto', 'category') | list -%}
with

students as (
    select * from {{ ref('int_students_featured') }}
),

counted as (
    select
        -- ids: the column a row counts (the one grouped)
        case
            {%- for column in spf_columns() %}
            when grouping({{ column.name }}) = 0 then '{{ column.name }}'
            {%- endfor %}
        end as measure,

        -- strings: a category's value (every other column is null outside its own rows)
        coalesce(
            {%- for column in categories %}
            cast({{ column.name }} as {{ dbt.type_string() }}){{ ',' if not loop.last }}
            {%- endfor %}
        ) as category,

        -- numerics
        coalesce(
            {%- for column in numbers %}
            cast({{ column.name }} as {{ type_double() }}){{ ',' if not loop.last }}
            {%- endfor %}
        ) as number_value,
        count(*) as student_count
    from students
    group by grouping sets (  -- noqa: PRS
        {%- for column in spf_columns() %}
        ({{ column.name }}){{ ',' if not loop.last }}
        {%- endfor %}
    )
),

kinds as (
    select
        measure,
        case
            {%- for column in numbers %}
            when measure = '{{ column.name }}' then 'number'
            {%- endfor %}
            else 'category'
        end as value_kind,
        category,
        number_value,
        student_count
    from counted
),

flagged as (
    select
        measure,
        value_kind,
        category,
        number_value,
        value_kind = 'category' and category is null as is_missing,
        student_count
    from kinds
)

select * from flagged

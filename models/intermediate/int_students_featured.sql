{#- The accepted student, once: every cleaned value, every category encoded (encoded_columns),
    the engineered features and the groups the findings compare. dim_students,
    fct_exam_results, ml_exam_score_features, the KPIs and the findings all read this one
    model, so none of them joins. -#}
{%- set standardised = ['hours_studied', 'attendance_pct', 'sleep_hours', 'previous_score',
    'tutoring_sessions', 'physical_activity_hours', 'total_study_hours'] -%}
with

students as (
    select * from {{ ref('stg_spf__students') }}
    where is_accepted
),

features as (
    select
        -- ids
        student_key,
        source_row_number,

        -- strings
        {%- for column in spf_columns() if column.kind == 'category' %}
        {{ column.name }},
        {%- endfor %}
        {{ attendance_band('attendance_pct') }} as attendance_band,
        {{ hours_studied_band('hours_studied') }} as hours_studied_band,
        case
            when tutoring_sessions >= 3 then '3+'
            else cast(tutoring_sessions as {{ dbt.type_string() }})
        end as tutoring_band,

        -- numerics
        {%- for column in spf_columns() if column.kind != 'category' %}
        {{ column.name }},
        {%- endfor %}
        -- a tutoring session counted as one hour of study
        hours_studied + tutoring_sessions as total_study_hours,
        exam_score - previous_score as score_change,
        -- whole hours: 6 holds 6.0 to 6.9 (the export records whole hours only)
        cast(floor(sleep_hours) as {{ dbt.type_int() }}) as sleep_hours_whole,

        -- encoded categories
        {%- for column in spf_columns() if column.kind == 'category' %}
        {{ encode_category(column) }},
        {%- endfor %}

        -- booleans
        {%- for column in spf_columns() if column.nullable %}
        is_{{ column.name }}_missing,
        {%- endfor %}
        sleep_hours < 6 as is_short_sleeper,

        -- timestamps
        loaded_at
    from students
),

-- one row of statistics, joined once (cheaper than a window over every row)
feature_stats as (
    select
        {%- for name in standardised %}
        avg({{ name }}) as {{ name }}_mean,
        stddev_samp({{ name }}) as {{ name }}_sd,
        {%- endfor %}
        avg(cast(exam_score as {{ type_double() }})) as exam_score_mean,
        stddev_samp(cast(exam_score as {{ type_double() }})) as exam_score_sd
    from features
),

standardised as (
    select
        features.*,
        {%- for name in standardised %}
        (features.{{ name }} - feature_stats.{{ name }}_mean)
        / nullif(feature_stats.{{ name }}_sd, 0) as {{ name }}_z,
        {%- endfor %}
        -- high achievers are defined from the data: at least one SD above the mean score
        features.exam_score >= feature_stats.exam_score_mean + feature_stats.exam_score_sd
            as is_high_achiever
    from features
    cross join feature_stats
)

select * from standardised

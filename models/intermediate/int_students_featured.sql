{#- Accepted students with engineered features: total study time, bands, and the numeric
    factors standardised with the mean and standard deviation of the accepted rows. -#}
{%- set standardised = ['hours_studied', 'attendance_pct', 'sleep_hours', 'previous_score',
    'tutoring_sessions', 'physical_activity_hours', 'total_study_hours'] -%}
with

students as (
    select * from {{ ref('stg_spf__students') }}
    where is_accepted
),

features as (
    select
        student_key,
        source_row_number,
        hours_studied,
        attendance_pct,
        sleep_hours,
        previous_score,
        tutoring_sessions,
        physical_activity_hours,
        exam_score,
        loaded_at,
        -- a tutoring session counted as one hour of study
        hours_studied + tutoring_sessions as total_study_hours,
        exam_score - previous_score as score_change,
        {{ attendance_band('attendance_pct') }} as attendance_band,
        {{ hours_studied_band('hours_studied') }} as hours_studied_band,
        sleep_hours < 6 as is_short_sleeper
    from students
),

-- one row of statistics, joined once (cheaper than a window over every row)
feature_stats as (
    select
        {%- for name in standardised %}
        avg({{ name }}) as {{ name }}_mean,
        stddev_samp({{ name }}) as {{ name }}_sd,
        {%- endfor %}
        count(*) as student_count
    from features
),

standardised as (
    select
        {%- for name in standardised %}
        (features.{{ name }} - feature_stats.{{ name }}_mean)
        / nullif(feature_stats.{{ name }}_sd, 0) as {{ name }}_z,
        {%- endfor %}
        features.*
    from features
    cross join feature_stats
)

select * from standardised

{#- The headline KPIs over all accepted students, one row (definitions: doc blocks kpi_*). -#}
with

results as (
    select * from {{ ref('fct_exam_results') }}
),

students as (
    select * from {{ ref('dim_students') }}
),

result_kpis as (
    select
        count(*) as student_count,
        avg(cast(attendance_pct as {{ type_double() }})) as avg_attendance_pct,
        avg(cast(exam_score as {{ type_double() }})) as avg_exam_score,
        avg(sleep_hours) as avg_sleep_hours,
        avg(hours_studied) as avg_hours_studied,
        avg(physical_activity_hours) as avg_physical_activity_hours,
        avg(cast(tutoring_sessions as {{ type_double() }})) as avg_tutoring_sessions,
        avg(cast(previous_score as {{ type_double() }})) as avg_previous_score
    from results
),

student_kpis as (
    select
        -- integer averages: exact on Postgres, double on DuckDB and Spark (a decimal
        -- literal such as 1.0 would make Spark round the average)
        cast(
            100 * avg(case when has_extracurricular_activities then 1 else 0 end)
            as {{ type_double() }}
        ) as extracurricular_participation_pct,
        cast(
            100 * avg(case when has_internet_access then 1 else 0 end) as {{ type_double() }}
        ) as internet_access_pct,
        cast(
            100 * avg(case when is_public_school then 1 else 0 end) as {{ type_double() }}
        ) as public_school_pct
    from students
),

summary as (
    select
        result_kpis.student_count,
        result_kpis.avg_attendance_pct,
        result_kpis.avg_exam_score,
        result_kpis.avg_sleep_hours,
        result_kpis.avg_hours_studied,
        result_kpis.avg_physical_activity_hours,
        result_kpis.avg_tutoring_sessions,
        result_kpis.avg_previous_score,
        student_kpis.extracurricular_participation_pct,
        student_kpis.internet_access_pct,
        student_kpis.public_school_pct
    from result_kpis
    cross join student_kpis
)

select * from summary

{#- The headline KPIs over all accepted students, one row, in one pass (definitions: doc blocks
    kpi_*). -#}
with

students as (
    select * from {{ ref('int_students_featured') }}
),

summary as (
    select
        count(*) as student_count,
        avg(cast(attendance_pct as {{ type_double() }})) as avg_attendance_pct,
        avg(cast(exam_score as {{ type_double() }})) as avg_exam_score,
        avg(sleep_hours) as avg_sleep_hours,
        avg(hours_studied) as avg_hours_studied,
        avg(physical_activity_hours) as avg_physical_activity_hours,
        avg(cast(tutoring_sessions as {{ type_double() }})) as avg_tutoring_sessions,
        avg(cast(previous_score as {{ type_double() }})) as avg_previous_score,
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
            100 * avg(case when is_school_type_public then 1 else 0 end) as {{ type_double() }}
        ) as public_school_pct
    from students
)

select * from summary

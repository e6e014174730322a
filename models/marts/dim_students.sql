{#- One row per accepted student: who they are and their circumstances, readable for BI. -#}
with

students as (
    select * from {{ ref('int_students_featured') }}
),

dimension as (
    select
        -- ids
        student_key,
        source_row_number,

        -- strings
        gender,
        school_type,
        parental_involvement,
        access_to_resources,
        motivation_level,
        family_income,
        teacher_quality,
        peer_influence,
        parental_education_level,
        distance_from_home,
        attendance_band,
        hours_studied_band,

        -- booleans
        has_extracurricular_activities,
        has_internet_access,
        has_learning_disabilities,
        is_school_type_public as is_public_school,
        is_teacher_quality_missing,
        is_parental_education_level_missing,
        is_distance_from_home_missing,

        -- timestamps
        loaded_at
    from students
)

select * from dimension

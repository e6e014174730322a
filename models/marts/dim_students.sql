{#- One row per accepted student: who they are and their circumstances, readable for BI. -#}
with

students as (
    select * from {{ ref('stg_spf__students') }}
    where is_accepted
),

encoded as (
    select * from {{ ref('int_students_encoded') }}
),

featured as (
    select * from {{ ref('int_students_featured') }}
),

joined as (
    select
        -- ids
        students.student_key,
        students.source_row_number,

        -- strings
        students.gender,
        students.school_type,
        students.parental_involvement,
        students.access_to_resources,
        students.motivation_level,
        students.family_income,
        students.teacher_quality,
        students.peer_influence,
        students.parental_education_level,
        students.distance_from_home,
        featured.attendance_band,
        featured.hours_studied_band,

        -- booleans
        encoded.has_extracurricular_activities,
        encoded.has_internet_access,
        encoded.has_learning_disabilities,
        encoded.is_school_type_public as is_public_school,
        students.is_teacher_quality_missing,
        students.is_parental_education_level_missing,
        students.is_distance_from_home_missing,

        -- timestamps
        students.loaded_at
    from students
    inner join encoded
        on students.student_key = encoded.student_key
    inner join featured
        on students.student_key = featured.student_key
)

select * from joined

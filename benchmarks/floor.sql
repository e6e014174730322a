-- The floor: the warehouse's work written by hand in bare DuckDB, no dbt. `make bench` times it
-- beside `python -m pipeline run` on the same file; benchmarks/bench.py checks on a sample that
-- it gives the same marts. {reader} is filled in by bench.py: the file's rows with their row
-- numbers (`ordinality`, from 1), by the fastest way each reader has.
set preserve_insertion_order = false;

-- landing: every column as text, with the file's row number
create schema raw;
create table raw.students as
select
    cast(ordinality as bigint) as source_row_number,
    cast(columns(* exclude (ordinality)) as varchar)
from {reader};

-- staging: cleaned, typed, validated, keyed
create schema staging;
create macro clean(x) as nullif(trim(x), '');
create macro whole(x) as case
    when regexp_full_match(clean(x), '^[+-]?[0-9]+([.]0+)?$')
        then case when abs(cast(clean(x) as double)) < 1e9 then cast(cast(clean(x) as double) as integer) end
end;
create macro num(x) as case
    when regexp_full_match(clean(x), '^[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)$') then cast(clean(x) as double)
end;
create macro cat3(x, a, b, c) as case lower(clean(x)) when lower(a) then a when lower(b) then b when lower(c) then c end;
create macro cat2(x, a, b) as case lower(clean(x)) when lower(a) then a when lower(b) then b end;
create macro shown(x) as case when length(x) > 40 then substr(x, 1, 40) || '... (' || length(x) || ' characters)' else x end;
create macro num_reason(name, x, v, lo, hi, what) as case
    when clean(x) is null then '; ' || name || ' is missing'
    when v is null then '; ' || name || ' ''' || shown(clean(x)) || ''' is not ' || what
    when v < lo or v > hi then '; ' || name || ' ' || clean(x) || ' is outside ' || lo || ' to ' || hi
    else '' end;
create macro cat_reason(name, x, v, known, optional) as case
    when clean(x) is null then case when optional then '' else '; ' || name || ' is missing' end
    when v is null then '; ' || name || ' ''' || shown(clean(x)) || ''' is not one of ' || known
    else '' end;

create table staging.students as
with typed as (
    select
        source_row_number,
        num(hours_studied) as hours_studied,
        whole(attendance) as attendance_pct,
        cat3(parental_involvement, 'Low', 'Medium', 'High') as parental_involvement,
        cat3(access_to_resources, 'Low', 'Medium', 'High') as access_to_resources,
        cat2(extracurricular_activities, 'No', 'Yes') as extracurricular_activities,
        num(sleep_hours) as sleep_hours,
        whole(previous_scores) as previous_score,
        cat3(motivation_level, 'Low', 'Medium', 'High') as motivation_level,
        cat2(internet_access, 'No', 'Yes') as internet_access,
        whole(tutoring_sessions) as tutoring_sessions,
        cat3(family_income, 'Low', 'Medium', 'High') as family_income,
        cat3(teacher_quality, 'Low', 'Medium', 'High') as teacher_quality,
        cat2(school_type, 'Public', 'Private') as school_type,
        cat3(peer_influence, 'Negative', 'Neutral', 'Positive') as peer_influence,
        num(physical_activity) as physical_activity_hours,
        cat2(learning_disabilities, 'No', 'Yes') as learning_disabilities,
        cat3(parental_education_level, 'High School', 'College', 'Postgraduate') as parental_education_level,
        cat3(distance_from_home, 'Near', 'Moderate', 'Far') as distance_from_home,
        cat2(gender, 'Male', 'Female') as gender,
        whole(exam_score) as exam_score,
        clean(teacher_quality) is null as is_teacher_quality_missing,
        clean(parental_education_level) is null as is_parental_education_level_missing,
        clean(distance_from_home) is null as is_distance_from_home_missing,
        concat_ws(',', coalesce(hours_studied, ''), coalesce(attendance, ''),
            coalesce(parental_involvement, ''), coalesce(access_to_resources, ''),
            coalesce(extracurricular_activities, ''), coalesce(sleep_hours, ''),
            coalesce(previous_scores, ''), coalesce(motivation_level, ''),
            coalesce(internet_access, ''), coalesce(tutoring_sessions, ''),
            coalesce(family_income, ''), coalesce(teacher_quality, ''), coalesce(school_type, ''),
            coalesce(peer_influence, ''), coalesce(physical_activity, ''),
            coalesce(learning_disabilities, ''), coalesce(parental_education_level, ''),
            coalesce(distance_from_home, ''), coalesce(gender, ''), coalesce(exam_score, '')
        ) as raw_record,
        columns('(.*)') as '\1_text'
    from raw.students
),
checked as (
    select
        * exclude (raw_record),
        raw_record,
        nullif(substr(
            num_reason('hours_studied', hours_studied_text, hours_studied, 0, 168, 'a number')
            || num_reason('attendance_pct', attendance_text, attendance_pct, 0, 100, 'a whole number')
            || cat_reason('parental_involvement', parental_involvement_text, parental_involvement, 'Low, Medium, High', false)
            || cat_reason('access_to_resources', access_to_resources_text, access_to_resources, 'Low, Medium, High', false)
            || cat_reason('extracurricular_activities', extracurricular_activities_text, extracurricular_activities, 'No, Yes', false)
            || num_reason('sleep_hours', sleep_hours_text, sleep_hours, 0, 24, 'a number')
            || num_reason('previous_score', previous_scores_text, previous_score, 0, 100, 'a whole number')
            || cat_reason('motivation_level', motivation_level_text, motivation_level, 'Low, Medium, High', false)
            || cat_reason('internet_access', internet_access_text, internet_access, 'No, Yes', false)
            || num_reason('tutoring_sessions', tutoring_sessions_text, tutoring_sessions, 0, 100, 'a whole number')
            || cat_reason('family_income', family_income_text, family_income, 'Low, Medium, High', false)
            || cat_reason('teacher_quality', teacher_quality_text, teacher_quality, 'Low, Medium, High', true)
            || cat_reason('school_type', school_type_text, school_type, 'Public, Private', false)
            || cat_reason('peer_influence', peer_influence_text, peer_influence, 'Negative, Neutral, Positive', false)
            || num_reason('physical_activity_hours', physical_activity_text, physical_activity_hours, 0, 168, 'a number')
            || cat_reason('learning_disabilities', learning_disabilities_text, learning_disabilities, 'No, Yes', false)
            || cat_reason('parental_education_level', parental_education_level_text, parental_education_level, 'High School, College, Postgraduate', true)
            || cat_reason('distance_from_home', distance_from_home_text, distance_from_home, 'Near, Moderate, Far', true)
            || cat_reason('gender', gender_text, gender, 'Male, Female', false)
            || num_reason('exam_score', exam_score_text, exam_score, 0, 100, 'a whole number'),
        3), '') as rejection_reasons,
        hash(raw_record) as record_hash
    from typed
),
repeated as (select record_hash from checked group by record_hash having count(*) > 1),
numbered as (
    select source_row_number,
        row_number() over (partition by raw_record order by source_row_number) as ordinal
    from checked where record_hash in (select record_hash from repeated)
)
select
    md5(checked.raw_record || '|' || cast(coalesce(numbered.ordinal, 1) as varchar)) as student_key,
    checked.source_row_number, hours_studied, attendance_pct, sleep_hours, previous_score,
    tutoring_sessions, physical_activity_hours, exam_score, parental_involvement,
    access_to_resources, extracurricular_activities, motivation_level, internet_access,
    family_income, teacher_quality, school_type, peer_influence, learning_disabilities,
    parental_education_level, distance_from_home, gender, is_teacher_quality_missing,
    is_parental_education_level_missing, is_distance_from_home_missing,
    rejection_reasons is null as is_accepted, coalesce(numbered.ordinal, 1) > 1 as is_exact_duplicate,
    rejection_reasons, checked.raw_record
from checked left join numbered on checked.source_row_number = numbered.source_row_number;

-- intermediate: the accepted student, encoded and featured
create schema intermediate;
create macro code3(x, a, b, c) as case x when a then 0 when b then 1 when c then 2 end;
create table intermediate.students as
with accepted as (select * from staging.students where is_accepted),
stats as (
    select avg(hours_studied) as h_m, stddev_samp(hours_studied) as h_s,
        avg(attendance_pct) as a_m, stddev_samp(attendance_pct) as a_s,
        avg(exam_score) as e_m, stddev_samp(exam_score) as e_s from accepted
)
select
    accepted.* exclude (rejection_reasons, raw_record, is_accepted),
    case when attendance_pct < 70 then '<70' when attendance_pct < 80 then '70-79'
        when attendance_pct < 90 then '80-89' else '90-100' end as attendance_band,
    case when hours_studied < 10 then '<10' when hours_studied < 20 then '10-19'
        when hours_studied < 30 then '20-29' else '30+' end as hours_studied_band,
    case when tutoring_sessions >= 3 then '3+' else cast(tutoring_sessions as varchar) end as tutoring_band,
    cast(floor(sleep_hours) as integer) as sleep_hours_whole,
    hours_studied + tutoring_sessions as total_study_hours,
    exam_score - previous_score as score_change,
    code3(parental_involvement, 'Low', 'Medium', 'High') as parental_involvement_code,
    code3(access_to_resources, 'Low', 'Medium', 'High') as access_to_resources_code,
    extracurricular_activities = 'Yes' as has_extracurricular_activities,
    code3(motivation_level, 'Low', 'Medium', 'High') as motivation_level_code,
    internet_access = 'Yes' as has_internet_access,
    code3(family_income, 'Low', 'Medium', 'High') as family_income_code,
    code3(teacher_quality, 'Low', 'Medium', 'High') as teacher_quality_code,
    school_type = 'Public' as is_school_type_public, school_type = 'Private' as is_school_type_private,
    code3(peer_influence, 'Negative', 'Neutral', 'Positive') as peer_influence_code,
    learning_disabilities = 'Yes' as has_learning_disabilities,
    code3(parental_education_level, 'High School', 'College', 'Postgraduate') as parental_education_level_code,
    code3(distance_from_home, 'Near', 'Moderate', 'Far') as distance_from_home_code,
    gender = 'Male' as is_gender_male, gender = 'Female' as is_gender_female,
    sleep_hours < 6 as is_short_sleeper,
    (hours_studied - h_m) / nullif(h_s, 0) as hours_studied_z,
    (attendance_pct - a_m) / nullif(a_s, 0) as attendance_pct_z,
    exam_score >= e_m + e_s as is_high_achiever
from accepted cross join stats;

-- marts
create schema marts;
create view marts.dim_students as
select student_key, source_row_number, gender, school_type, parental_involvement,
    access_to_resources, motivation_level, family_income, teacher_quality, peer_influence,
    parental_education_level, distance_from_home, attendance_band, hours_studied_band,
    has_extracurricular_activities, has_internet_access, has_learning_disabilities,
    is_school_type_public as is_public_school, is_teacher_quality_missing,
    is_parental_education_level_missing, is_distance_from_home_missing
from intermediate.students;
create view marts.fct_exam_results as
select student_key, exam_score, previous_score, score_change, hours_studied, tutoring_sessions,
    total_study_hours, attendance_pct, sleep_hours, physical_activity_hours
from intermediate.students;
create table marts.rpt_rejected_rows as
select source_row_number, rejection_reasons, raw_record from staging.students where not is_accepted;
create table marts.rpt_kpi_summary as
select count(*) as student_count, avg(attendance_pct) as avg_attendance_pct,
    avg(exam_score) as avg_exam_score, avg(sleep_hours) as avg_sleep_hours,
    avg(hours_studied) as avg_hours_studied, avg(physical_activity_hours) as avg_physical_activity_hours,
    100 * avg(case when has_extracurricular_activities then 1 else 0 end) as extracurricular_participation_pct
from intermediate.students;
create table marts.rpt_load_reconciliation as
select count(*) as rows_received, count(*) filter (where is_accepted) as rows_accepted,
    count(*) filter (where not is_accepted) as rows_rejected,
    count(*) filter (where is_exact_duplicate) as rows_duplicated
from staging.students;
create table marts.findings as
select grouping(school_type) as g_school, grouping(attendance_band) as g_att,
    grouping(hours_studied_band) as g_hours, grouping(sleep_hours_whole) as g_sleep,
    grouping(has_extracurricular_activities) as g_extra,
    school_type, attendance_band, tutoring_band, hours_studied_band, sleep_hours_whole,
    has_extracurricular_activities, count(exam_score) as student_count,
    avg(exam_score) as mean_exam_score, stddev_samp(exam_score) as exam_score_sd
from intermediate.students
group by grouping sets ((attendance_band, tutoring_band), (school_type), (hours_studied_band),
    (sleep_hours_whole), (has_extracurricular_activities), ());

-- the factor ranking's moments, every factor in one pass: count, correlation, slope, the factor's
-- and the score's standard deviations (the ranking's intervals and tests follow from these)
create table marts.factor_moments as
with measured as (
    select cast(exam_score as double) as exam_score,
        cast(hours_studied as double) as hours_studied,
        cast(attendance_pct as double) as attendance_pct,
        cast(parental_involvement_code as double) as parental_involvement,
        cast(access_to_resources_code as double) as access_to_resources,
        cast(has_extracurricular_activities as double) as extracurricular_activities,
        cast(sleep_hours as double) as sleep_hours,
        cast(previous_score as double) as previous_score,
        cast(motivation_level_code as double) as motivation_level,
        cast(has_internet_access as double) as internet_access,
        cast(tutoring_sessions as double) as tutoring_sessions,
        cast(family_income_code as double) as family_income,
        cast(teacher_quality_code as double) as teacher_quality,
        cast(is_school_type_public as double) as school_type,
        cast(peer_influence_code as double) as peer_influence,
        cast(physical_activity_hours as double) as physical_activity_hours,
        cast(has_learning_disabilities as double) as learning_disabilities,
        cast(parental_education_level_code as double) as parental_education_level,
        cast(distance_from_home_code as double) as distance_from_home,
        cast(is_gender_male as double) as gender
    from intermediate.students
)
select
    count(hours_studied) as hours_studied__n, corr(exam_score, hours_studied) as hours_studied__r,
    covar_samp(exam_score, hours_studied) / nullif(var_samp(hours_studied), 0) as hours_studied__slope,
    stddev_samp(hours_studied) as hours_studied__sd,
    stddev_samp(case when hours_studied is not null then exam_score end) as hours_studied__score_sd,
    count(attendance_pct) as attendance_pct__n, corr(exam_score, attendance_pct) as attendance_pct__r,
    covar_samp(exam_score, attendance_pct) / nullif(var_samp(attendance_pct), 0) as attendance_pct__slope,
    stddev_samp(attendance_pct) as attendance_pct__sd,
    stddev_samp(case when attendance_pct is not null then exam_score end) as attendance_pct__score_sd,
    count(parental_involvement) as parental_involvement__n, corr(exam_score, parental_involvement) as parental_involvement__r,
    covar_samp(exam_score, parental_involvement) / nullif(var_samp(parental_involvement), 0) as parental_involvement__slope,
    stddev_samp(parental_involvement) as parental_involvement__sd,
    stddev_samp(case when parental_involvement is not null then exam_score end) as parental_involvement__score_sd,
    count(access_to_resources) as access_to_resources__n, corr(exam_score, access_to_resources) as access_to_resources__r,
    covar_samp(exam_score, access_to_resources) / nullif(var_samp(access_to_resources), 0) as access_to_resources__slope,
    stddev_samp(access_to_resources) as access_to_resources__sd,
    stddev_samp(case when access_to_resources is not null then exam_score end) as access_to_resources__score_sd,
    count(extracurricular_activities) as extracurricular_activities__n, corr(exam_score, extracurricular_activities) as extracurricular_activities__r,
    covar_samp(exam_score, extracurricular_activities) / nullif(var_samp(extracurricular_activities), 0) as extracurricular_activities__slope,
    stddev_samp(extracurricular_activities) as extracurricular_activities__sd,
    stddev_samp(case when extracurricular_activities is not null then exam_score end) as extracurricular_activities__score_sd,
    count(sleep_hours) as sleep_hours__n, corr(exam_score, sleep_hours) as sleep_hours__r,
    covar_samp(exam_score, sleep_hours) / nullif(var_samp(sleep_hours), 0) as sleep_hours__slope,
    stddev_samp(sleep_hours) as sleep_hours__sd,
    stddev_samp(case when sleep_hours is not null then exam_score end) as sleep_hours__score_sd,
    count(previous_score) as previous_score__n, corr(exam_score, previous_score) as previous_score__r,
    covar_samp(exam_score, previous_score) / nullif(var_samp(previous_score), 0) as previous_score__slope,
    stddev_samp(previous_score) as previous_score__sd,
    stddev_samp(case when previous_score is not null then exam_score end) as previous_score__score_sd,
    count(motivation_level) as motivation_level__n, corr(exam_score, motivation_level) as motivation_level__r,
    covar_samp(exam_score, motivation_level) / nullif(var_samp(motivation_level), 0) as motivation_level__slope,
    stddev_samp(motivation_level) as motivation_level__sd,
    stddev_samp(case when motivation_level is not null then exam_score end) as motivation_level__score_sd,
    count(internet_access) as internet_access__n, corr(exam_score, internet_access) as internet_access__r,
    covar_samp(exam_score, internet_access) / nullif(var_samp(internet_access), 0) as internet_access__slope,
    stddev_samp(internet_access) as internet_access__sd,
    stddev_samp(case when internet_access is not null then exam_score end) as internet_access__score_sd,
    count(tutoring_sessions) as tutoring_sessions__n, corr(exam_score, tutoring_sessions) as tutoring_sessions__r,
    covar_samp(exam_score, tutoring_sessions) / nullif(var_samp(tutoring_sessions), 0) as tutoring_sessions__slope,
    stddev_samp(tutoring_sessions) as tutoring_sessions__sd,
    stddev_samp(case when tutoring_sessions is not null then exam_score end) as tutoring_sessions__score_sd,
    count(family_income) as family_income__n, corr(exam_score, family_income) as family_income__r,
    covar_samp(exam_score, family_income) / nullif(var_samp(family_income), 0) as family_income__slope,
    stddev_samp(family_income) as family_income__sd,
    stddev_samp(case when family_income is not null then exam_score end) as family_income__score_sd,
    count(teacher_quality) as teacher_quality__n, corr(exam_score, teacher_quality) as teacher_quality__r,
    covar_samp(exam_score, teacher_quality) / nullif(var_samp(teacher_quality), 0) as teacher_quality__slope,
    stddev_samp(teacher_quality) as teacher_quality__sd,
    stddev_samp(case when teacher_quality is not null then exam_score end) as teacher_quality__score_sd,
    count(school_type) as school_type__n, corr(exam_score, school_type) as school_type__r,
    covar_samp(exam_score, school_type) / nullif(var_samp(school_type), 0) as school_type__slope,
    stddev_samp(school_type) as school_type__sd,
    stddev_samp(case when school_type is not null then exam_score end) as school_type__score_sd,
    count(peer_influence) as peer_influence__n, corr(exam_score, peer_influence) as peer_influence__r,
    covar_samp(exam_score, peer_influence) / nullif(var_samp(peer_influence), 0) as peer_influence__slope,
    stddev_samp(peer_influence) as peer_influence__sd,
    stddev_samp(case when peer_influence is not null then exam_score end) as peer_influence__score_sd,
    count(physical_activity_hours) as physical_activity_hours__n, corr(exam_score, physical_activity_hours) as physical_activity_hours__r,
    covar_samp(exam_score, physical_activity_hours) / nullif(var_samp(physical_activity_hours), 0) as physical_activity_hours__slope,
    stddev_samp(physical_activity_hours) as physical_activity_hours__sd,
    stddev_samp(case when physical_activity_hours is not null then exam_score end) as physical_activity_hours__score_sd,
    count(learning_disabilities) as learning_disabilities__n, corr(exam_score, learning_disabilities) as learning_disabilities__r,
    covar_samp(exam_score, learning_disabilities) / nullif(var_samp(learning_disabilities), 0) as learning_disabilities__slope,
    stddev_samp(learning_disabilities) as learning_disabilities__sd,
    stddev_samp(case when learning_disabilities is not null then exam_score end) as learning_disabilities__score_sd,
    count(parental_education_level) as parental_education_level__n, corr(exam_score, parental_education_level) as parental_education_level__r,
    covar_samp(exam_score, parental_education_level) / nullif(var_samp(parental_education_level), 0) as parental_education_level__slope,
    stddev_samp(parental_education_level) as parental_education_level__sd,
    stddev_samp(case when parental_education_level is not null then exam_score end) as parental_education_level__score_sd,
    count(distance_from_home) as distance_from_home__n, corr(exam_score, distance_from_home) as distance_from_home__r,
    covar_samp(exam_score, distance_from_home) / nullif(var_samp(distance_from_home), 0) as distance_from_home__slope,
    stddev_samp(distance_from_home) as distance_from_home__sd,
    stddev_samp(case when distance_from_home is not null then exam_score end) as distance_from_home__score_sd,
    count(gender) as gender__n, corr(exam_score, gender) as gender__r,
    covar_samp(exam_score, gender) / nullif(var_samp(gender), 0) as gender__slope,
    stddev_samp(gender) as gender__sd,
    stddev_samp(case when gender is not null then exam_score end) as gender__score_sd
from measured;

-- what the model trains on: the encoded accepted students (marts.ml_exam_score_features)
create table marts.ml_features as
select student_key, source_row_number, hours_studied, attendance_pct, sleep_hours, previous_score,
    tutoring_sessions, physical_activity_hours, parental_involvement_code, access_to_resources_code,
    cast(has_extracurricular_activities as integer) as has_extracurricular_activities,
    motivation_level_code, cast(has_internet_access as integer) as has_internet_access,
    family_income_code, teacher_quality_code,
    cast(is_school_type_public as integer) as is_school_type_public,
    cast(is_school_type_private as integer) as is_school_type_private, peer_influence_code,
    cast(has_learning_disabilities as integer) as has_learning_disabilities,
    parental_education_level_code, distance_from_home_code,
    cast(is_gender_male as integer) as is_gender_male, cast(is_gender_female as integer) as is_gender_female,
    exam_score
from intermediate.students;

-- the key tests: keys unique and not null, every raw row staged, counts reconcile
select count(*) - count(distinct student_key) + count(*) filter (where student_key is null) as failures
from staging.students;
select count(*) - count(distinct source_row_number) as failures from staging.students;
select (select count(*) from raw.students) - (select count(*) from staging.students) as failures;
select count(*) as failures from marts.rpt_load_reconciliation
where rows_received != rows_accepted + rows_rejected;
select count(*) as failures from staging.students where is_accepted and exam_score not between 0 and 100;
checkpoint;

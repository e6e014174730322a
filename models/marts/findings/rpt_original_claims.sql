{#- The three claims of the original analysis, each tested on the accepted students: the two
    groups it compares, their means, the difference with its 95 % interval, a two-sided p-value
    adjusted for the three tests at once (Holm), and the verdict. -#}
{%- set claims = [
    {'key': 'public_beats_private',
     'claim': 'Public-school students outperform private-school students',
     'measure': 'exam score (points)', 'group_a': 'public-school students',
     'group_b': 'private-school students', 'claimed_sign': 1},
    {'key': 'high_achievers_sleep_less',
     'claim': 'High achievers sleep less',
     'measure': 'sleep (hours per night)',
     'group_a': 'high achievers (exam score at least 1 SD above the mean)',
     'group_b': 'the other students', 'claimed_sign': -1},
    {'key': 'extracurriculars_go_with_better_scores',
     'claim': 'Extracurricular activities go with better performance',
     'measure': 'exam score (points)',
     'group_a': 'students with extracurricular activities',
     'group_b': 'students without', 'claimed_sign': 1},
] -%}
with

students as (
    select * from {{ ref('int_students_featured') }}
),

-- each claim as (claim, is the student in group a, the measured value), in one long relation
observations as (
    select
        'public_beats_private' as claim_key,
        is_school_type_public as is_group_a,
        cast(exam_score as {{ type_double() }}) as measured
    from students
    union all
    select
        'high_achievers_sleep_less' as claim_key,
        is_high_achiever as is_group_a,
        sleep_hours as measured
    from students
    union all
    select
        'extracurriculars_go_with_better_scores' as claim_key,
        has_extracurricular_activities as is_group_a,
        cast(exam_score as {{ type_double() }}) as measured
    from students
),

compared as (
    select
        claim_key,
        count(case when is_group_a then measured end) as group_a_count,
        avg(case when is_group_a then measured end) as group_a_mean,
        stddev_samp(case when is_group_a then measured end) as group_a_sd,
        count(case when not is_group_a then measured end) as group_b_count,
        avg(case when not is_group_a then measured end) as group_b_mean,
        stddev_samp(case when not is_group_a then measured end) as group_b_sd
    from observations
    group by claim_key
),

claims as (
    {%- for claim in claims %}
    select
        '{{ claim.key }}' as claim_key,
        '{{ claim.claim }}' as claim,
        '{{ claim.measure }}' as measure,
        '{{ claim.group_a }}' as group_a,
        '{{ claim.group_b }}' as group_b,
        {{ claim.claimed_sign }} as claimed_sign
    {{- '\n    union all' if not loop.last }}
    {%- endfor %}
),

tested as (
    select
        claims.claim_key,
        claims.claim,
        claims.measure,
        claims.group_a,
        claims.group_b,
        claims.claimed_sign,
        compared.group_a_count,
        compared.group_b_count,
        compared.group_a_mean,
        compared.group_b_mean,
        compared.group_a_mean - compared.group_b_mean as difference,
        {{ welch_standard_error(
            'compared.group_a_sd', 'compared.group_a_count',
            'compared.group_b_sd', 'compared.group_b_count') }} as difference_se
    from claims
    inner join compared
        on claims.claim_key = compared.claim_key
),

z_scored as (
    select
        *,
        difference / nullif(difference_se, 0) as z_statistic
    from tested
),

ranked as (
    select
        *,
        {{ two_sided_p_value('z_statistic') }} as p_value,
        {{ holm_test_rank('z_statistic', 'claim_key') }} as p_value_rank
    from z_scored
),

adjusted as (
    select
        *,
        {{ holm_adjusted_p_value('p_value', 'p_value_rank', claims | length) }} as p_value_holm
    from ranked
),

judged as (
    select
        -- ids
        claim_key,

        -- strings
        claim,
        measure,
        group_a,
        group_b,
        case
            when coalesce(p_value_holm >= {{ var('findings_alpha') }}, true)
                then 'not supported: no distinguishable difference'
            when difference * claimed_sign > 0 then 'supported'
            else 'contradicted: the difference goes the other way'
        end as verdict,

        -- numerics
        claimed_sign,
        group_a_count,
        group_b_count,
        group_a_mean,
        group_b_mean,
        difference,
        {{ confidence_bound('difference', 'difference_se', 'lower') }} as difference_ci_lower,
        {{ confidence_bound('difference', 'difference_se', 'upper') }} as difference_ci_upper,
        p_value,
        p_value_holm,

        -- booleans
        coalesce(
            p_value_holm < {{ var('findings_alpha') }} and difference * claimed_sign > 0, false
        ) as is_supported
    from adjusted
)

select * from judged

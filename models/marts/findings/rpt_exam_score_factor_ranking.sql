{#- Every factor of the export ranked by the strength of its association with the exam score:
    the correlation (a standardised effect size) with its 95 % interval, the slope in exam points
    per unit of the factor with its interval, and whether the effect is distinguishable from zero
    after Holm's adjustment for the number of factors compared (see exam_score_factors()). -#}
{%- set factors = exam_score_factors() -%}
{%- set alpha = var('findings_alpha') -%}
{%- set magnitude = var('findings_effect_magnitude_abs_r') -%}
with

students as (
    select * from {{ ref('int_students_featured') }}
),

measured as (
    select
        {%- for factor in factors %}
        {%- if factor.kind in ['flag', 'one_hot'] %}
        cast(case
            when {{ factor.column }} then 1
            when not {{ factor.column }} then 0
        end as {{ type_double() }}) as {{ factor.name }},
        {%- else %}
        cast({{ factor.column }} as {{ type_double() }}) as {{ factor.name }},
        {%- endif %}
        {%- endfor %}
        cast(students.exam_score as {{ type_double() }}) as exam_score
    from students
),

-- the moments of every factor in one pass and one row; the row is unpivoted below
moments as (
    select
        {%- for factor in factors %}
        count({{ factor.name }}) as {{ factor.name }}__n,
        corr(exam_score, {{ factor.name }}) as {{ factor.name }}__r,
        covar_samp(exam_score, {{ factor.name }})
        / nullif(var_samp({{ factor.name }}), 0) as {{ factor.name }}__slope,
        stddev_samp({{ factor.name }}) as {{ factor.name }}__sd,
        stddev_samp(
            case when {{ factor.name }} is not null then exam_score end
        ) as {{ factor.name }}__score_sd,
        {%- endfor %}
        count(*) as student_count
    from measured
),

-- one row per factor: the factors' names crossed with the single row of moments (a union of
-- selects from `moments` would make engines that inline CTEs recompute it once per factor)
factor_names as (
    {%- for factor in factors %}
    select
        '{{ factor.name }}' as factor_name,
        '{{ factor.kind }}' as factor_kind,
        '{{ factor.measured_as }}' as measured_as,
        '{{ factor.unit }}' as slope_unit
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

factors as (
    select
        {%- for moment, alias in [('n', 'student_count'), ('r', 'score_correlation'),
            ('slope', 'slope_points'), ('sd', 'factor_sd'), ('score_sd', 'exam_score_sd')] %}
        case factor_names.factor_name
            {%- for factor in factors %}
            when '{{ factor.name }}' then moments.{{ factor.name }}__{{ moment }}
            {%- endfor %}
        end as {{ alias }},
        {%- endfor %}
        factor_names.*
    from factor_names
    cross join moments
),

-- the slope's standard error and z statistic; Fisher's z for the correlation's interval
tested as (
    select
        *,
        sqrt(
            (1 - score_correlation * score_correlation)
            / nullif(greatest(student_count - 2, 0), 0)
        ) * exam_score_sd / nullif(factor_sd, 0) as slope_se,
        score_correlation * sqrt(
            greatest(student_count - 2, 0)
            / nullif(1 - score_correlation * score_correlation, 0)
        ) as z_statistic,
        -- null, not an error, for a perfect correlation or fewer than 4 students
        0.5 * ln(
            nullif(1 + score_correlation, 0) / nullif(1 - score_correlation, 0)
        ) as fisher_z,
        1.0 / sqrt(nullif(greatest(student_count - 3, 0), 0)) as fisher_z_se
    from factors
),

ranked as (
    select
        *,
        {{ two_sided_p_value('z_statistic') }} as p_value,
        {{ holm_test_rank('z_statistic', 'factor_name') }} as p_value_rank,
        row_number() over (
            order by abs(score_correlation) desc nulls last, factor_name
        ) as effect_rank
    from tested
),

adjusted as (
    select
        *,
        {{ holm_adjusted_p_value('p_value', 'p_value_rank', factors | length) }} as p_value_holm,
        {{ confidence_bound('fisher_z', 'fisher_z_se', 'lower') }} as fisher_z_lower,
        {{ confidence_bound('fisher_z', 'fisher_z_se', 'upper') }} as fisher_z_upper
    from ranked
),

judged as (
    select
        -- ids
        factor_name,

        -- strings
        factor_kind,
        measured_as,
        slope_unit,
        case
            when abs(score_correlation) >= {{ magnitude.large }} then 'large'
            when abs(score_correlation) >= {{ magnitude.medium }} then 'medium'
            when abs(score_correlation) >= {{ magnitude.small }} then 'small'
            else 'negligible'
        end as effect_magnitude,
        case
            when not coalesce(p_value_holm < {{ alpha }}, false) then 'noise'
            when abs(score_correlation) < {{ magnitude.small }} then 'real but negligible'
            else 'matters'
        end as verdict,

        -- numerics
        cast(effect_rank as {{ dbt.type_bigint() }}) as effect_rank,
        student_count,
        score_correlation,
        -- back from Fisher's z: tanh(z) = (exp(2z) - 1) / (exp(2z) + 1)
        (exp(2 * fisher_z_lower) - 1)
        / (exp(2 * fisher_z_lower) + 1) as score_correlation_ci_lower,
        (exp(2 * fisher_z_upper) - 1)
        / (exp(2 * fisher_z_upper) + 1) as score_correlation_ci_upper,
        slope_points,
        {{ confidence_bound('slope_points', 'slope_se', 'lower') }} as slope_points_ci_lower,
        {{ confidence_bound('slope_points', 'slope_se', 'upper') }} as slope_points_ci_upper,
        p_value,
        p_value_holm,

        -- booleans
        coalesce(p_value_holm < {{ alpha }}, false) as is_distinguishable_from_zero
    from adjusted
)

select * from judged

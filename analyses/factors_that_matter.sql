-- Which factors go with the exam score beyond noise (after Holm's adjustment), strongest first?
with

ranking as (
    select * from {{ ref('rpt_exam_score_factor_ranking') }}
),

final as (
    select
        effect_rank,
        factor_name,
        verdict,
        effect_magnitude,
        score_correlation,
        score_correlation_ci_lower,
        score_correlation_ci_upper,
        slope_points,
        slope_unit,
        p_value_holm
    from ranking
    where is_distinguishable_from_zero
)

select * from final
order by effect_rank

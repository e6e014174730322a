-- Does the data support the original analysis's claims (public > private, sleep, extracurriculars)?
with

claims as (
    select * from {{ ref('rpt_original_claims') }}
),

final as (
    select
        claim,
        verdict,
        group_a,
        group_b,
        measure,
        group_a_mean,
        group_b_mean,
        difference,
        difference_ci_lower,
        difference_ci_upper,
        p_value_holm,
        group_a_count,
        group_b_count
    from claims
)

select * from final
order by claim

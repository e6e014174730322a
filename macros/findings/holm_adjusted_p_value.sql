{#- Holm's step-down adjustment of p-values for `comparisons` tests at once: with the p-values
    ranked from smallest (rank 1), adjusted p = max over ranks <= r of min(1, (m + 1 - rank) p).
    A test is significant at family-wise level 0.05 when its adjusted p is below 0.05. `rank`
    must number the rows 1..m in ascending order of p (an undefined p, last, stays null). -#}
{% macro holm_adjusted_p_value(p_value, rank, comparisons) -%}
    case
        when {{ p_value }} is not null
            then least(
                1.0,
                max(({{ comparisons }} + 1 - {{ rank }}) * {{ p_value }}) over (
                    order by {{ rank }} rows between unbounded preceding and current row
                )
            )
    end
{%- endmacro %}

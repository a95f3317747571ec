{#
    Per-store ranking rules of the customer segments (DECISIONLOG.md,
    "RFM scores and top-share flags"). Both keep equal values together:
    customers with the same value always get the same answer.

    rfm_quintile_score(value, higher_is_better): 1-5 score of `value` among
    the customers of the same store, 5 = best.
        worse = customers of the store with a strictly worse value
        n     = customers of the store
        score = least(5, 1 + floor(5 * worse / (n - 1)))   (1 when n = 1)
    i.e. the quintile of the customer's percent_rank (worse / (n - 1)) with
    bins [0, .2) -> 1, [.2, .4) -> 2, [.4, .6) -> 3, [.6, .8) -> 4,
    [.8, 1] -> 5. A tie block takes the score of its first (lowest) place,
    so a majority of one-time buyers all score F = 1. Integer arithmetic:
    no floating-point edge at the bin limits.

    is_in_top_share(value, share): true when the customer's value is among
    the top `share` of the store's customers (share to 6 decimals):
        rank (1 = highest value, ties share the lowest rank) <= ceil(share * n)
    Customers tied with the last place inside the share are all included,
    so a flag can cover slightly more than `share` of a store. `value` must
    not be null (every caller passes a not-null column; a null is never
    flagged).

    partition_by: the store column, qualified when the query joins tables.
#}
{% macro rfm_quintile_score(value, higher_is_better=true, partition_by='store_id') -%}
    least(
        5,
        1 + (
            5 * (
                rank() over (
                    partition by {{ partition_by }} order by {{ value }} {{ "asc" if higher_is_better else "desc" }}
                ) - 1
            )
        ) {{ integer_division_operator() }} greatest(count(*) over (partition by {{ partition_by }}) - 1, 1)
    )
{%- endmacro %}


{% macro is_in_top_share(value, share, partition_by='store_id') -%}
    {#- ceil(share x n) in integers: share in millionths (6 decimals),
        ceil(m x n / 10^6) = (m x n + 10^6 - 1) div 10^6 (a decimal product
        and its ceil cost a third of the segment flags' time).
        The rank from the top is n - (customers with a lower or equal value)
        + 1, counted in ascending order: the order of rfm_quintile_score, so
        a value that is also scored (net revenue) is sorted once, not once
        per direction (DECISIONLOG.md "Top-share flags share the RFM sort") -#}
    {%- set share_millionths = ((share | float) * 1000000) | round | int -%}
    {{ value }} is not null
    and count(*) over (partition by {{ partition_by }})
    - count(*) over (partition by {{ partition_by }} order by {{ value }} asc)
    + 1
    <= (
        {{ share_millionths }} * count(*) over (partition by {{ partition_by }}) + 999999
    ) {{ integer_division_operator() }} 1000000
{%- endmacro %}

{#
    Every reject_reason staging gives is one of the reasons listed, with its
    meaning, in the seed reject_reasons (seeds/reject_reasons.csv). A new
    reason is one line in that file. Returns the unlisted reasons.
#}

with rejects as (
    select * from {{ ref('stg_shop__rejects') }}
),

reasons as (
    select * from {{ ref('reject_reasons') }}
),

final as (
    select
        rejects.reject_reason,
        count(*) as rejected_rows
    from rejects
    left join reasons
        on rejects.reject_reason = reasons.reject_reason
    where reasons.reject_reason is null
    group by rejects.reject_reason
)

select * from final

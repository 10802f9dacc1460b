-- One row per Deribit instrument listed in the latest get_instruments snapshot (every currency and kind of
-- that partition), deduplicated. Inverse futures count contracts in USD, linear futures and options in coin;
-- perpetual funding accrues continuously (interval 0) and their 3000-01-01 "expiry" becomes null.
with responses as (
    select payload, fetched_at, partition_key, page
    from {{ source('deribit', 'instruments') }}
    where http_status = 200 and json_valid(payload)
),

latest as (
    select payload, fetched_at, page
    from responses
    where partition_key = (select arg_max(partition_key, fetched_at) from responses)
),

records as (
    select
        unnest(from_json(payload, '{"result":[{"instrument_name":"VARCHAR","kind":"VARCHAR","base_currency":"VARCHAR","quote_currency":"VARCHAR","settlement_currency":"VARCHAR","instrument_type":"VARCHAR","future_type":"VARCHAR","contract_size":"VARCHAR","expiration_timestamp":"VARCHAR","settlement_period":"VARCHAR","strike":"VARCHAR","option_type":"VARCHAR","is_active":"BOOLEAN"}]}').result) as r,
        fetched_at,
        page
    from latest
),

typed as (
    select
        r.instrument_name as instrument,
        r.base_currency as asset,
        r.kind = 'future' and r.settlement_period = 'perpetual' as is_perpetual,
        r.kind,
        r.quote_currency,
        -- Listings from before the USDC products name neither the settlement currency nor the contract type:
        -- then everything settled in its own coin, and inverse futures were the ones quoted in USD.
        coalesce(r.settlement_currency, r.base_currency) as settlement_currency,
        r.kind = 'future'
        and coalesce(r.instrument_type, r.future_type, if(r.quote_currency = 'USD', 'reversed', 'linear')) = 'reversed'
            as is_inverse,
        try_cast(r.contract_size as double) as contract_size,
        try_cast(r.expiration_timestamp as bigint) as expiration_ms,
        try_cast(r.strike as double) as strike,
        r.option_type,
        r.is_active,
        fetched_at,
        page
    from records
    -- Combos (future_combo, option_combo) are strategies over these instruments, not instruments.
    where r.kind in ('future', 'option')
)

select
    'deribit' as exchange,
    instrument,
    asset,
    case when is_perpetual then 'perpetual' else kind end as kind,
    quote_currency,
    settlement_currency,
    contract_size,
    case when is_inverse then 'usd' else 'coin' end as contract_unit,
    case when not is_perpetual then {{ epoch_ms_to_ts('expiration_ms') }} end as expiry_at,
    case when kind = 'option' then strike end as strike,
    case when kind = 'option' then option_type end as option_type,
    cast(case when is_perpetual then 0 end as double) as funding_interval_hours,
    is_active,
    fetched_at as observed_at
from typed
where instrument is not null
qualify row_number() over (partition by instrument order by fetched_at desc, page desc) = 1

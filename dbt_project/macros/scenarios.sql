{# The confluence scenarios of SPEC section 4, by number: one place for their names. #}
{% macro scenario_name(scenario_id) -%}
    case {{ scenario_id }}
        when 1 then 'Long squeeze setup'
        when 2 then 'Short squeeze setup'
        when 3 then 'Healthy trend'
        when 4 then 'Exhaustion'
        when 5 then 'Vacuum'
        when 6 then 'Pre-event build'
    end
{%- endmacro %}

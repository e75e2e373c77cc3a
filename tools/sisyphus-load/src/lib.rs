//! load stage: production folder -> Plan (hermetic).

"""The full-history query: what `make demo` prints, the tests send and `hub bench api` drives."""

FULL_HISTORY = """query History($nik: String, $personId: ID) {
  person(nik: $nik, personId: $personId) {
    personId
    recordCount
    identity {
      name { best values { value sources } }
      nik { best values { value sources } }
      birthDate { best values { value sources } }
      sex { best }
      motherName { best }
    }
    region { code name above { name } }
    household {
      kk decile address
      region { name }
      members { personId name relation sex birthDate programs }
      programs
    }
    enrolments { program programName from to status source }
    conditions { code name recordedOn source }
    pantiStays { pantiName from to attendance { records present lastDate } }
    events {
      kind date status summary source
      statusHistory { date status }
      handlers { name kind }
      referrals { target status }
    }
    records { source sourceKey method probability name nik birthDate loadedAt }
    gaps { rule title suggest }
  }
}"""

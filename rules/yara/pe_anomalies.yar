/*
  medshield starter rules: structural anomalies of Windows executables that
  packers and droppers produce. Written for medshield.
*/
import "pe"

rule PE_Writable_Executable_Section : anomaly
{
    meta:
        author = "medshield"
        description = "PE section that is both writable and executable (self-modifying code, packers)"
        severity = 30
    condition:
        uint16(0) == 0x5A4D and
        for any s in pe.sections : (
            s.characteristics & pe.SECTION_MEM_EXECUTE != 0 and
            s.characteristics & pe.SECTION_MEM_WRITE != 0
        )
}

rule PE_UPX_Packed : anomaly packer
{
    meta:
        author = "medshield"
        description = "PE packed with UPX (section names UPX0/UPX1)"
        severity = 20
    condition:
        uint16(0) == 0x5A4D and
        for any s in pe.sections : (s.name == "UPX0" or s.name == "UPX1")
}

rule PE_Entry_Point_Outside_Sections : anomaly
{
    meta:
        author = "medshield"
        description = "PE whose entry point is not inside any section's raw data"
        severity = 40
    condition:
        uint16(0) == 0x5A4D and pe.number_of_sections > 0 and
        not for any s in pe.sections : (
            pe.entry_point >= s.raw_data_offset and
            pe.entry_point < s.raw_data_offset + s.raw_data_size
        )
}

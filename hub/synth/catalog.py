"""Code lists of the Indonesian welfare domain used by the synthetic sources."""

from __future__ import annotations

# The 26 PPKS categories of Permensos 8/2012, in the regulation's order.
PPKS_CATEGORIES: list[tuple[str, str]] = [
    ("01", "Anak Balita Terlantar"),
    ("02", "Anak Terlantar"),
    ("03", "Anak yang Berhadapan dengan Hukum"),
    ("04", "Anak Jalanan"),
    ("05", "Anak dengan Kedisabilitasan"),
    ("06", "Anak yang Menjadi Korban Tindak Kekerasan atau Diperlakukan Salah"),
    ("07", "Anak yang Memerlukan Perlindungan Khusus"),
    ("08", "Lanjut Usia Terlantar"),
    ("09", "Penyandang Disabilitas"),
    ("10", "Tuna Susila"),
    ("11", "Gelandangan"),
    ("12", "Pengemis"),
    ("13", "Pemulung"),
    ("14", "Kelompok Minoritas"),
    ("15", "Bekas Warga Binaan Lembaga Pemasyarakatan"),
    ("16", "Orang dengan HIV/AIDS"),
    ("17", "Korban Penyalahgunaan NAPZA"),
    ("18", "Korban Trafficking"),
    ("19", "Korban Tindak Kekerasan"),
    ("20", "Pekerja Migran Bermasalah Sosial"),
    ("21", "Korban Bencana Alam"),
    ("22", "Korban Bencana Sosial"),
    ("23", "Perempuan Rawan Sosial Ekonomi"),
    ("24", "Fakir Miskin"),
    ("25", "Keluarga Bermasalah Sosial Psikologis"),
    ("26", "Komunitas Adat Terpencil"),
]
PPKS_NAME = dict(PPKS_CATEGORIES)

# Individual PSKS kinds (bodies such as LKS and Karang Taruna are not persons).
PSKS_KINDS: list[tuple[str, float]] = [
    ("TKSK", 0.30),
    ("PEKERJA SOSIAL MASYARAKAT", 0.30),
    ("PEKERJA SOSIAL PROFESIONAL", 0.08),
    ("PENDAMPING PKH", 0.15),
    ("TAGANA", 0.10),
    ("PENYULUH SOSIAL", 0.04),
    ("PENDAMPING DISABILITAS", 0.03),
]

# Program rosters: code, name, unit (household representative or every member), funding.
PROGRAMS: list[tuple[str, str, str, str]] = [
    ("SEMBAKO", "Program Sembako / BPNT", "household", "APBN"),
    ("PKH", "Program Keluarga Harapan", "household", "APBN"),
    ("KIS_PBI_APBN", "KIS Penerima Bantuan Iuran (APBN)", "member", "APBN"),
    ("KIS_PBI_APBD", "KIS Penerima Bantuan Iuran (APBD)", "member", "APBD"),
    ("BLT", "Bantuan Langsung Tunai", "household", "APBN"),
    ("KUBE", "Kelompok Usaha Bersama Fakir Miskin", "member", "APBD"),
    ("RUTILAHU", "Rehabilitasi Rumah Tidak Layak Huni", "household", "APBD"),
    ("P3KE", "Sasaran Percepatan Penghapusan Kemiskinan Ekstrem", "household", "APBN"),
]

RELATIONS = {"head": "KEPALA KELUARGA", "spouse": "ISTRI", "husband": "SUAMI", "child": "ANAK",
             "parent": "ORANG TUA"}

PANTI_KINDS: list[tuple[str, str]] = [
    ("lansia", "RUMAH PELAYANAN SOSIAL LANJUT USIA"),
    ("disabilitas", "RUMAH PELAYANAN SOSIAL DISABILITAS"),
    ("anak", "PANTI SOSIAL ASUHAN ANAK"),
]
PANTI_NAMES = ["DEWANATA", "PUCANG GADING", "WENING WARDOYO", "BUDI LUHUR", "MARGO MULYO", "SUDAGARAN",
               "ESTI TOMO", "PAMARDI PUTRA", "BHAKTI CANDRASA", "MANDIRI", "SATRIA", "GAYATRI", "KASIH IBU",
               "HARAPAN", "SEJAHTERA", "TAMAN HARAPAN", "SIDO MULYO", "NGUDI RAHAYU"]

OUTREACH_CATEGORIES = ["GELANDANGAN", "PENGEMIS", "PENGAMEN", "ANAK JALANAN"]
OUTREACH_PLACES = ["PERTIGAAN", "PASAR", "TERMINAL", "STASIUN", "ALUN-ALUN", "LAMPU MERAH", "TAMAN KOTA",
                   "KOLONG JEMBATAN", "MASJID AGUNG", "SPBU"]

SLRT_COMPLAINTS = ["KEPESERTAAN PKH", "KEPESERTAAN SEMBAKO", "KIS TIDAK AKTIF", "BELUM TERDAFTAR DTKS",
                   "PERUBAHAN DATA DTKS", "RUMAH TIDAK LAYAK HUNI", "BANTUAN PENDIDIKAN", "LAINNYA"]
REFERRAL_AGENCIES: list[tuple[str, str]] = [
    ("DINKES", "Dinas Kesehatan"),
    ("DISDUKCAPIL", "Dinas Kependudukan dan Pencatatan Sipil"),
    ("BAZNAS", "Badan Amil Zakat Nasional"),
    ("DINPERKIM", "Dinas Perumahan dan Kawasan Permukiman"),
    ("RSUD", "Rumah Sakit Umum Daerah"),
]
SLRT_STATUS_FLOW = ["DITERIMA", "DIVERIFIKASI", "DIRUJUK", "SELESAI"]

WELFARE_CATEGORIES = ["SANGAT MISKIN", "MISKIN", "HAMPIR MISKIN", "RENTAN MISKIN", "MAMPU"]
PROPOSAL_STATUS_FLOW = ["DIUSULKAN", "DIVERIFIKASI DINSOS", "DIKIRIM KE DINKES", "AKTIF BPJS"]
PROPOSAL_KINDS = ["KIS-PBI APBD", "REGISTRASI DISABILITAS", "ALAT BANTU"]
ASSISTIVE_DEVICES = ["KURSI RODA", "KRUK", "ALAT BANTU DENGAR", "TONGKAT ADAPTIF", "KAKI PALSU"]

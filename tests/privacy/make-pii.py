#!/usr/bin/env python3
"""Writes tests/privacy/pii.tsv (tuned) and pii-holdout.tsv (never tuned on)
from hand-written message templates and hand-picked values; the two files use
DIFFERENT templates and values, so the held-out figure says how the masker
does on phrasings it was not adjusted to. Run once; the TSVs are the record.
Line: kind <TAB> message <TAB> spans ('|'-separated substrings that must not
survive masking; empty for kind 'none', whose message must come back unchanged)."""
import random, sys

def numbers(tpls, vals):
    out = []
    for t in tpls:
        for v in vals:
            out.append(("number", t.format(v), v))
    return out

def rows_tuned():
    r = []
    phones = ["0912345678", "0987 654 321", "0903.112.233", "+84 912 345 678", "0365-123-456",
              "84912345678", "0 9 1 2 3 4 5 6 7 8"]
    ids = ["001203004567", "079 088 001 234", "123456789", "038.199.012.345"]
    ptpl = ["sdt{} nha", "sđt của tôi là {}", "so dt {} goi lai giup e", "Dạ số điện thoại của bác là {} ạ",
            "e o nha, sdt: {}", "Liên hệ {} giúp tôi", "zalo{}", "call me {} pls",
            "Cụ nhờ cháu nhắn: số của cụ {} nhé cán bộ", "sdt e nè {} ib e vs"]
    itpl = ["cccd{}", "CCCD của tôi: {}", "so cmnd {} bi mat roi", "Căn cước công dân số {} cấp năm 2021 ạ",
            "cmnd {} con ko xai dc nua", "mã định danh {} của cháu", "Ông ghi giúp số chứng minh {} ạ"]
    r += numbers(ptpl, phones)
    r += numbers(itpl, ids)
    emails = ["nguyen.van.a@gmail.com", "lan_tran99@yahoo.com.vn", "bacsi.hoa+ubnd@outlook.com"]
    etpl = ["mail e la {}", "Email của tôi: {} nhé", "gui ve {} giup minh", "Cháu gửi vào {} cho bà nhé"]
    for t in etpl:
        for e in emails:
            r.append(("email", t.format(e), e.split("@")[0]))
    addr = [("tôi ở số 12 ngõ 34 phố Huế", "12|34"), ("nhà em số 5 hẻm 17 đường Trần Phú", "5|17"),
            ("dia chi 123/4 Lê Lợi", "123/4"), ("em o 45 duong Nguyen Trai", "45"),
            ("Bà ở số nhà 78 phố Hàng Bông ạ", "78"), ("nha toi o ngo 9 ngach 21 Kim Ma", "9|21"),
            ("địa chỉ: 56B Lý Thường Kiệt, phường 3", "56B"), ("kiệt 88 Lê Duẩn Huế", "88"),
            ("tôi ở 210/15 Nguyễn Thị Minh Khai", "210/15"), ("o so 7 ngo 102 Thai Ha nha", "7|102"),
            ("Nhà số 31 đường Hùng Vương, thôn 2", "31"), ("con ở tại 14/2 Phan Đình Phùng", "14/2"),
            ("hem 305 Cach Mang Thang Tam", "305"), ("ngõ 178 phố Tây Sơn, tôi muốn hỏi khai sinh", "178"),
            ("e ở số 66 đường Bạch Đằng", "66"), ("gửi về 9/1A Lê Văn Sỹ giúp tôi", "9/1A"),
            ("Địa chỉ thường trú: số 120 phố Lò Đúc", "120"), ("nhà mình ở ngách 3 ngõ 61 Lạc Trung", "3|61"),
            # "o thon 2 xa An Binh" was an ordinary question until issue 17 masked a village
            # a citizen says they live in (docs/privacy.md)
            ("o 27 Ly Tu Trong q1", "27"), ("o thon 2 xa An Binh", "2"), ("tôi ở 402 đường Lê Văn Lương", "402")]
    for m, s in addr:
        r.append(("address", m, s))
    names = [("tôi tên là Nguyễn Văn An", "Nguyễn|Văn|An"), ("toi ten la nguyen thi hoa", "nguyen|thi|hoa"),
             ("con tôi tên Trần Minh Khôi, sinh ngày 3/5", "Trần|Minh|Khôi"),
             ("Dạ bà tên là Phạm Thị Lựu ạ", "Phạm|Thị|Lựu"), ("e ten Le Hoang Nam muon hoi", "Le|Hoang|Nam"),
             ("Họ tên: Đỗ Quang Huy", "Đỗ|Quang|Huy"), ("ho ten: vu thi thu trang", "vu|thi|thu|trang"),
             ("mình tên Lan", "Lan"), ("con toi ten Bui Gia Bao can lam khai sinh", "Bui|Gia|Bao"),
             ("Tôi tên là Hoàng Văn Tư, muốn đăng ký kết hôn", "Hoàng|Văn|Tư"),
             ("chau ten la Dang Ngoc Anh a", "Dang|Ngoc|Anh"), ("Tên cháu là Ngô Bảo Châu", "Ngô|Bảo|Châu"),
             ("tui tên Huỳnh Tấn Phát nè", "Huỳnh|Tấn|Phát"), ("vợ tôi tên Lý Thị Mai", "Lý|Thị|Mai"),
             ("e tên là đinh thị ngọc", "đinh|thị|ngọc"), ("Tôi là Trương Văn Sáu, ở thôn 3", "Trương|Văn|Sáu"),
             ("ten con la Phan Tue Lam", "Phan|Tue|Lam"), ("Bố tôi tên Hồ Văn Bảy đã mất", "Hồ|Văn|Bảy"),
             ("Tôi tên Mai, cho hỏi thủ tục", "Mai"), ("toi ten la Duong Van Tien nha", "Duong|Van|Tien"),
             ("Tôi tên là Nguyễn Văn A", "Nguyễn|Văn|A"), ("mk ten la Cao Thi Ha", "Cao|Thi|Ha"),
             ("Con trai tôi tên là Đào Duy Anh, cần trích lục", "Đào|Duy|Anh"),
             ("ba e ten la ta van hung", "ta|van|hung"), ("Lão tên Kha Văn Tám", "Kha|Văn|Tám"),
             ("em tên Thảo ạ", "Thảo"), ("tôi tên là Lâm Chí Vỹ muốn hỏi về tạm trú", "Lâm|Chí|Vỹ"),
             ("Ho ten: Mac Dinh Chi", "Mac|Dinh|Chi")]
    for m, s in names:
        r.append(("name", m, s))
    none = ["lệ phí 50.000 đồng phải không", "le phi bao nhieu 100.000 hay 200.000", "sinh ngày 12/03/2024",
            "mẫu TP/HT-2020-KS.1 ở đâu", "thủ tục 1.001193 cần gì", "mã thủ tục 2.000986 là gì",
            "nộp trong 5 ngày làm việc", "làm từ 7h30 đến 17h00", "Thông tư 04/2020/TT-BTP nói gì",
            "cần 2 bản sao CCCD", "tôi muốn đổi tên cho con", "ten trong giay khai sinh bi sai thi sao",
            "đăng ký khai sinh cho con thứ 3", "năm 2024 lệ phí có thay đổi không",
            "phí 1.500.000 đồng có đúng không", "giấy tờ tuỳ thân gồm những gì", "mat bao lau vay",
            "Nghị định 123/2015/NĐ-CP", "hạn chót 30/6", "tôi ở phường 3 quận 5", "số bản sao cần nộp là mấy",
            "khai tử cần những gì ạ", "có 3 người con", "lệ phí 8.000 đồng",
            "tờ khai mẫu số 01", "ngày 15-08-2024 tôi nộp hồ sơ", "cho hỏi tên gì cũng được không",
            "hồ sơ gồm 02 bộ", "CT01 điền thế nào",
            "e muon lam lai cccd", "cho hỏi mất cmnd thì làm sao", "phí 20.000đ", "gọi tổng đài 1900 1234",
            "Đường dây nóng 1022", "hồ sơ số 000.00.12.H12", "sinh năm 1960 có được miễn không",
            "đổi tên đệm cho con được không", "ten con theo ho me duoc ko", "Luật Hộ tịch 2014 điều 26",
            "tôi ở phố Huế", "nhà ở đường Lê Lợi thì nộp ở đâu", "mất 3-5 ngày", "từ 8.000 đến 15.000 đồng",
            "mẫu 1.000894 ở đâu ạ", "nộp lúc 7:30 được không", "bao nhiêu tiền vậy 50k hả",
            "tên gọi khác ghi thế nào", "ho ten cha me ghi sao", "có 2 bản chính và 1 bản sao"]
    for m in none:
        r.append(("none", m, ""))
    return r

def rows_holdout():
    r = []
    phones = ["0977 888 999", "0868.246.810", "+84 388 776 655", "0123456789"]
    ptpl = ["số đt: {}", "dt{}", "a goi cho e theo so {} nhe", "Nhờ cán bộ gọi lại {} giúp cụ"]
    r += numbers(ptpl, phones)
    ids = ["036 204 009 871", "024098765432", "187654321"]
    itpl = ["cccd:{}", "số căn cước {}", "CMND{} mat roi"]
    r += numbers(itpl, ids)
    for m, s in [("mail: thanh.hoa.92@gmail.com", "thanh.hoa.92"), ("gui qua binh_an@yahoo.com nha", "binh_an")]:
        r.append(("email", m, s))
    for m, s in [("nha o so 21 ngo 5 Hoang Hoa Tham", "21|5"), ("Tôi ở 77/3 Trần Hưng Đạo", "77/3"),
                 ("ở hẻm 42 đường Võ Văn Tần", "42"), ("số nhà 9 phố Nguyễn Du", "9")]:
        r.append(("address", m, s))
    for m, s in [("Tôi tên là Lê Thị Hồng Nhung", "Lê|Thị|Hồng|Nhung"), ("toi ten tran van hai", "tran|van|hai"),
                 ("con gái tôi tên Vũ Minh Thư", "Vũ|Minh|Thư"), ("Họ và tên: Đặng Văn Lâm", "Đặng|Văn|Lâm")]:
        r.append(("name", m, s))
    for m in ["phí 30.000 đồng", "mẫu số 1.004227", "ngày 01/01/2025", "TP/HT-2020-KS.2 tải ở đâu",
              "giấy khai sinh bản chính 01", "lam mat 3 ngay", "Quyết định 1085/QĐ-BTP", "tôi ở xóm 4"]:
        r.append(("none", m, ""))
    return r

def write(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        for k, m, s in rows:
            assert "\t" not in m and "|" not in m
            f.write(f"{k}\t{m}\t{s}\n")

d = sys.argv[1] if len(sys.argv) > 1 else "tests/privacy"
write(d + "/pii.tsv", rows_tuned())
write(d + "/pii-holdout.tsv", rows_holdout())

"""The March 2024 spec scenario: eleven episodes whose indicator values are worked by hand.

Month end 2024-03-31. Teams: T1 = E1 E2 E5 E9 E10; T2 = E3 E4 E6 E7 E8 E11.

  E1  open, cluster 04 since 15 Jan (review due 15 Jul)      within review; settled (recorded Jun 2023)
  E2  open, cluster 01 since 1 Dec 2023 (due 23 Feb 2024)    overdue; accommodation record too old (Dec 2022)
  E3  open, referred 1 Feb, never clustered                  unclustered
  E4  open, cluster 00 since 10 Feb                          variance; accommodation recorded, not settled
  E5  discharged 15 Mar (mid-month), cluster 03              HoNOS 20 -> 10: reliable + clinically significant improvement
  E6  discharged 20 Mar, cluster 11, one rating only         unpaired (single_assessment)
  E7  discharged 25 Mar, cluster 12 (severe subgroup)        HoNOS 15 -> 22: deterioration 7 >= severe RCI 7
  E8  discharged 28 Mar, cluster 02, 2nd rating has three 9s unpaired (not_computable)
  E9  allocated 5 Mar to 05, red rule breached
  E10 allocated 10 Mar to 07, no breach
  E11 allocated 12 Mar to 03, red rules not checked
"""

import pytest

from openpbr.outcomes.scenario import Scenario

E5_FIRST = [4, 4, 3, 3, 2, 2, 1, 1, 0, 0, 0, 0]   # 20
E5_LATEST = [1, 1, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0]  # 10
E7_FIRST = [3, 3, 3, 2, 2, 2, 0, 0, 0, 0, 0, 0]   # 15
E7_LATEST = [4, 4, 3, 3, 2, 2, 1, 1, 1, 1, 0, 0]  # 22


def build_march():
    s = Scenario()
    e1 = s.episode("2024-01-10", team="P1-T1", commissioner="C1")
    s.period(e1, "04", "2024-01-15", assessment_id=s.assess(e1, "2024-01-15", 18))
    s.accommodation_status(e1, "2023-06-01", True)
    e2 = s.episode("2023-01-01", team="P1-T1", commissioner="C1")
    s.period(e2, "01", "2023-12-01", assessment_id=s.assess(e2, "2023-12-01", 6))
    s.accommodation_status(e2, "2022-12-01", True)
    s.episode("2024-02-01", team="P1-T2", commissioner="C2")  # referred, never clustered
    e4 = s.episode("2024-02-05", team="P1-T2", commissioner="C2")
    s.period(e4, "00", "2024-02-10", assessment_id=s.assess(e4, "2024-02-10", 12))
    s.accommodation_status(e4, "2024-03-01", False)
    e5 = s.episode("2023-09-20", "2024-03-15", team="P1-T1", commissioner="C1")
    a = s.assess(e5, "2023-10-01", E5_FIRST, swemwbs=20)
    s.period(e5, "03", "2023-10-01", "2024-03-15", assessment_id=a)
    s.assess(e5, "2024-03-15", E5_LATEST, swemwbs=25)
    e6 = s.episode("2023-12-20", "2024-03-20", team="P1-T2", commissioner="C2")
    s.period(e6, "11", "2024-01-01", "2024-03-20", assessment_id=s.assess(e6, "2024-01-01", 9))
    e7 = s.episode("2023-05-20", "2024-03-25", team="P1-T2", commissioner="C2")
    s.period(e7, "12", "2023-06-01", "2024-03-25", assessment_id=s.assess(e7, "2023-06-01", E7_FIRST))
    s.assess(e7, "2024-03-25", E7_LATEST)
    e8 = s.episode("2023-11-01", "2024-03-28", team="P1-T2", commissioner="C2")
    s.period(e8, "02", "2023-11-05", "2024-03-28", assessment_id=s.assess(e8, "2023-11-05", 14))
    s.assess(e8, "2024-03-28", [9, 9, 9, 1, 1, 1, 1, 1, 1, 1, 1, 1])
    e9 = s.episode("2024-03-01", team="P1-T1", commissioner="C1")
    s.period(e9, "05", "2024-03-05", breach=True, assessment_id=s.assess(e9, "2024-03-05", 25))
    e10 = s.episode("2024-03-08", team="P1-T1", commissioner="C1")
    s.period(e10, "07", "2024-03-10", breach=False, assessment_id=s.assess(e10, "2024-03-10", 22))
    e11 = s.episode("2024-03-11", team="P1-T2", commissioner="C2")
    s.period(e11, "03", "2024-03-12", assessment_id=s.assess(e11, "2024-03-12", 13))
    return s.build()


@pytest.fixture(scope="session")
def march():
    return build_march()

/* Tests of report (issue 4). */

/* Tests of features (issue 4). */

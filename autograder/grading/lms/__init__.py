"""nbgrader plugins for learning-management systems: zip_collect collectors (LMS archives in) and exporters (grades
out, in the CSV each LMS imports). Select them in nbgrader_config.py or on the command line:

    nbgrader zip_collect CHAPTER --collector=autograder.grading.lms.canvas_collector.CanvasCollector
    nbgrader export --exporter=autograder.grading.lms.moodle_export.MoodleExport --to=moodle.csv
"""
